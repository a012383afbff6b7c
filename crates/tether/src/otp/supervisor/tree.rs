//! Walking a supervision tree from its root, for tools such as the observer.

use std::future::Future;
use std::pin::Pin;

use tether_term::{Atom, Pid};

use super::{ChildPid, ChildType, SupervisorError, which_children};

/// One node of a supervision tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeNode {
    /// The child's id (`None` for the root and for dynamic children).
    pub id: Option<String>,
    /// Its process.
    pub pid: ChildPid,
    /// Worker or supervisor.
    pub child_type: ChildType,
    /// Times its supervisor restarted it (0 for the root).
    pub restarts: u32,
    /// Its registered name, if it runs and has one.
    pub registered_name: Option<Atom>,
    /// Its children, most recently started first (empty for workers).
    pub children: Vec<TreeNode>,
}

/// The whole tree under supervisor `root`, walked with [`which_children`]. A
/// sub-supervisor that exits during the walk shows no children.
///
/// ```
/// use tether::otp::supervisor::{supervision_tree, ChildSpec, Strategy, Supervisor};
/// tether::Runtime::new().unwrap().block_on(async {
///     let inner = Supervisor::new(Strategy::OneForOne)
///         .child(ChildSpec::process("leaf", || std::future::pending()));
///     let root = Supervisor::new(Strategy::OneForOne)
///         .child(ChildSpec::supervisor("inner", inner))
///         .start_link()
///         .await
///         .unwrap();
///     let tree = supervision_tree(root).await.unwrap();
///     assert_eq!(tree.children[0].id.as_deref(), Some("inner"));
///     assert_eq!(tree.children[0].children[0].id.as_deref(), Some("leaf"));
/// });
/// ```
pub async fn supervision_tree(root: Pid) -> Result<TreeNode, SupervisorError> {
    let children = walk(root).await?;
    Ok(TreeNode {
        id: None,
        pid: ChildPid::Pid(root),
        child_type: ChildType::Supervisor,
        restarts: 0,
        registered_name: name_of(root),
        children,
    })
}

fn name_of(pid: Pid) -> Option<Atom> {
    crate::process_info(pid).and_then(|i| i.registered_name)
}

fn walk(sup: Pid) -> Pin<Box<dyn Future<Output = Result<Vec<TreeNode>, SupervisorError>> + Send>> {
    Box::pin(async move {
        let mut out = Vec::new();
        for c in which_children(sup).await? {
            let children = match (c.child_type, c.pid) {
                (ChildType::Supervisor, ChildPid::Pid(p)) => walk(p).await.unwrap_or_default(),
                _ => Vec::new(),
            };
            let registered_name = match c.pid {
                ChildPid::Pid(p) => name_of(p),
                _ => None,
            };
            out.push(TreeNode {
                id: c.id,
                pid: c.pid,
                child_type: c.child_type,
                restarts: c.restarts,
                registered_name,
                children,
            });
        }
        Ok(out)
    })
}
