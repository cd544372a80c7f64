//! ECHO (MS-SMB2 §2.2.28, §2.2.29): a keep-alive.

crate::msg::empty_message!(EchoRequest, EchoResponse, Echo);
