//! The operator surface as a process sees it: real servers on 127.0.0.1:0, real signals.

mod admin_server;
mod shutdown;
