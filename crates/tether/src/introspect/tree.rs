//! The supervision trees of a runtime, as observer's application tab shows them.

use tether_term::Pid;

use crate::otp::supervisor::roots;
use crate::otp::supervisor::{ChildPid, ChildType, TreeNode, supervision_tree};

/// Every supervision tree of the runtime, oldest first: the kernel's (`kernel_sup`,
/// on a distributed node) and each supervisor (static or dynamic) started by a
/// process that is not a supervisor, each walked with
/// [`supervision_tree`], restart counts included.
///
/// Supervisors are asked with `which_children`, so this must run in a process; a
/// busy supervisor is waited for up to the call timeout, and one that does not
/// answer shows no children.
///
/// ```
/// use tether::otp::supervisor::{ChildSpec, ChildPid, Strategy, Supervisor};
/// use tether::Runtime;
/// Runtime::new().unwrap().block_on(async {
///     let sup = Supervisor::new(Strategy::OneForOne)
///         .name("my_sup")
///         .child(ChildSpec::process("worker", || std::future::pending()))
///         .start_link()
///         .await
///         .unwrap();
///     let trees = tether::introspect::supervision_trees().await;
///     let top = trees.iter().find(|t| t.pid == ChildPid::Pid(sup)).unwrap();
///     assert_eq!(top.registered_name.as_ref().map(|n| n.as_str()), Some("my_sup"));
///     assert_eq!(top.children[0].id.as_deref(), Some("worker"));
///     assert_eq!(top.children[0].restarts, 0);
/// });
/// ```
pub async fn supervision_trees() -> Vec<TreeNode> {
    let mut out = Vec::new();
    for pid in roots::tops() {
        out.push(
            supervision_tree(pid)
                .await
                .unwrap_or_else(|_| unanswered(pid)),
        );
    }
    out
}

fn unanswered(pid: Pid) -> TreeNode {
    TreeNode {
        id: None,
        pid: ChildPid::Pid(pid),
        child_type: ChildType::Supervisor,
        restarts: 0,
        registered_name: crate::process_info(pid).and_then(|i| i.registered_name),
        children: Vec::new(),
    }
}
