//! LOGOFF (MS-SMB2 §2.2.7, §2.2.8).

crate::msg::empty_message!(LogoffRequest, LogoffResponse, Logoff);
