//! The local-node rules for pids, references and ports, and the distribution atom cache.
//!
//! The test makes a local node of its own for its thread (as a Tether runtime does for
//! its threads) and renames it.

use tether_term::{
    Atom, AtomCache, AtomCacheRefs, DecodeErrorKind, Decoder, Node, Pid, Reference, Term, decode,
    encode,
};

fn pid_bytes(node: &str, id: u32, creation: u32) -> Vec<u8> {
    let mut v = vec![131, 88, 119, node.len() as u8];
    v.extend_from_slice(node.as_bytes());
    v.extend_from_slice(&id.to_be_bytes());
    v.extend_from_slice(&0u32.to_be_bytes());
    v.extend_from_slice(&creation.to_be_bytes());
    v
}

#[test]
fn local_identities_and_atom_cache() {
    let seen_before = Node::intern("me@host").unwrap();
    let mine = Node::new_local().unwrap();
    let _guard = Node::enter_local(mine);
    assert_eq!(Node::local(), mine);
    assert!(!Node::intern("elsewhere@host").unwrap().is_local());
    Node::set_local("me@host", 0x1234);
    assert_eq!(Node::local().name().as_str(), "me@host");
    assert_eq!(Node::local_creation(), 0x1234);

    // A local pid (creation 0) goes out with the current creation...
    let p = Pid::new(Node::local(), 42, 0, 0);
    let bytes = encode(&Term::Pid(p)).unwrap();
    assert_eq!(bytes, pid_bytes("me@host", 42, 0x1234));
    // ...and comes back as the same local pid.
    assert_eq!(decode(&bytes).unwrap(), Term::Pid(p));
    assert!(decode(&bytes).unwrap().as_pid().unwrap().is_local());

    // A pid of an earlier incarnation of this node keeps its creation.
    let old = decode(&pid_bytes("me@host", 42, 7))
        .unwrap()
        .as_pid()
        .unwrap();
    assert!(old.node.is_local());
    assert_eq!(old.creation, 7);
    assert_ne!(Term::Pid(old), Term::Pid(p));
    assert_eq!(
        encode(&Term::Pid(old)).unwrap(),
        pid_bytes("me@host", 42, 7)
    );

    // The name seen as remote before the rename now resolves here as well.
    assert!(!seen_before.is_local());
    assert!(Node::intern("me@host").unwrap().is_local());
    // Another thread is outside this node: there the name is a remote node.
    let other = std::thread::spawn(|| {
        let n = Node::intern("me@host").unwrap();
        (n.is_local(), Node::local().name().as_str().to_owned())
    })
    .join()
    .unwrap();
    assert_eq!(other, (false, "nonode@nohost".to_owned()));

    // References follow the same rule.
    let r = Reference::new(Node::local(), 0, &[1, 2, 3]);
    let back = decode(&encode(&Term::Ref(r)).unwrap()).unwrap();
    assert_eq!(back, Term::Ref(r));

    // Atom cache: a header defining two atoms, then terms that refer to them.
    let mut cache = AtomCache::new();
    // 2 refs: nibbles 0b1000 (new, seg 0) and 0b1001 (new, seg 1); LongAtoms nibble 0.
    let header = [
        2, 0x98, 0x00, 3, 2, b'o', b'k', 4, 5, b'h', b'e', b'l', b'l', b'o',
    ];
    let (refs, used) = cache.read_header(&header).unwrap();
    assert_eq!(used, header.len());
    assert_eq!(cache.get(3).unwrap().as_str(), "ok");
    assert_eq!(cache.get(256 + 4).unwrap().as_str(), "hello");
    let body = [104, 2, 82, 0, 82, 1, 97, 7];
    let mut d = Decoder::new(&body).with_atom_cache(Some(&refs));
    assert_eq!(d.decode_term().unwrap().to_string(), "{ok,hello}");
    assert_eq!(d.decode_term().unwrap(), Term::from(7));
    assert!(d.is_empty());
    // Long atoms flag, and references to existing slots.
    let (refs, _) = cache.read_header(&[2, 0x01, 0x01, 4, 3]).unwrap();
    assert_eq!(refs.get(0).unwrap().as_str(), "hello");
    assert_eq!(refs.get(1).unwrap().as_str(), "ok");
    let err = cache.read_header(&[1, 0x00, 9]).unwrap_err();
    assert_eq!(err.kind(), &DecodeErrorKind::UnknownAtomCacheRef(9));
    let long = [1, 0x18, 5, 0, 2, b'h', b'i'];
    let (refs, used) = cache.read_header(&long).unwrap();
    assert_eq!((refs.get(0).unwrap().as_str(), used), ("hi", long.len()));
    // An index past the message's references.
    let refs = AtomCacheRefs::from_atoms(vec![Atom::new("a")]);
    let e = Decoder::new(&[82, 1])
        .with_atom_cache(Some(&refs))
        .decode_term()
        .unwrap_err();
    assert_eq!(e.kind(), &DecodeErrorKind::UnknownAtomCacheRef(1));
    assert!(cache.read_header(&[0]).unwrap().0.is_empty());
}
