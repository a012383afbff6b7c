//! Fuzz the EPMD client's reply reading (crate `tether`, the code `EpmdClient` runs
//! on its TCP connection). The first byte picks the request (register, port_please,
//! names); the rest is EPMD's reply, then EOF. The client must give a result or an
//! error, never panic or hang (on in-memory input a timeout is a hang), and a result
//! must be what the reply's bytes say.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use tether::dist::epmd::{EpmdError, on_stream, proto};
use tokio::runtime::Runtime;

const LIMIT: Duration = Duration::from_secs(10);

fn rt() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    })
}

fn no_hang<T>(r: &Result<T, EpmdError>) {
    if let Err(e) = r {
        assert!(!matches!(e, EpmdError::Timeout(_)), "hung: {e}");
        let _ = e.to_string();
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, reply)) = data.split_first() else {
        return;
    };
    rt().block_on(async {
        let mut s = reply;
        match which % 3 {
            0 => {
                let r = on_stream::read_alive2_reply(&mut s, "fuzz", LIMIT).await;
                no_hang(&r);
                match r {
                    Ok(creation) => match reply {
                        [proto::ALIVE2_X_RESP, 0, a, b, c, d, ..] => {
                            assert_eq!(creation, u32::from_be_bytes([*a, *b, *c, *d]))
                        }
                        [proto::ALIVE2_RESP, 0, a, b, ..] => {
                            assert_eq!(creation, u32::from(u16::from_be_bytes([*a, *b])))
                        }
                        _ => panic!("registered on {reply:?}"),
                    },
                    Err(EpmdError::Refused { name, result }) => {
                        assert_eq!(name, "fuzz");
                        assert_ne!(result, 0);
                        assert_eq!(reply[1], result);
                    }
                    Err(_) => {}
                }
            }
            1 => {
                let r = on_stream::read_port2_reply(&mut s, LIMIT).await;
                no_hang(&r);
                match r {
                    // What was read, encoded again, is the reply's bytes.
                    Ok(Some(info)) => {
                        let again = proto::encode_port2_resp(&info).unwrap();
                        assert_eq!(again, reply[..again.len()]);
                        assert_eq!(s.len(), reply.len() - again.len());
                    }
                    Ok(None) => assert!(reply[0] == proto::PORT2_RESP && reply[1] != 0),
                    Err(_) => {}
                }
            }
            _ => {
                let r = on_stream::read_names_reply(&mut s, LIMIT).await;
                no_hang(&r);
                if let Ok(names) = r {
                    assert!(reply.len() >= 4);
                    let text = String::from_utf8_lossy(&reply[4..]);
                    assert!(names.len() <= text.lines().count());
                    for (name, port) in names {
                        assert!(
                            text.contains(&format!("name {name} at port")),
                            "{name} {port}"
                        );
                    }
                }
            }
        }
    });
});
