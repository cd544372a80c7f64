//! CANCEL (MS-SMB2 §2.2.30): no response is sent.

crate::msg::empty_message!(CancelRequest, CancelResponse, Cancel);
