//! TREE_DISCONNECT (MS-SMB2 §2.2.11, §2.2.12).

crate::msg::empty_message!(
    TreeDisconnectRequest,
    TreeDisconnectResponse,
    TreeDisconnect
);
