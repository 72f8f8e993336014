//! `surreal-test-server`: the official SurrealDB server, for the tests that
//! reach SurrealDB over the network. It takes the same arguments as the
//! `surreal` binary, e.g.
//! `surreal-test-server start --bind 127.0.0.1:8000 --user root --pass root memory`.

// The server's futures nest deeper than the compiler's default limit.
#![recursion_limit = "256"]

use std::process::ExitCode;

fn main() -> ExitCode {
    surrealdb_server::init(surrealdb_core::CommunityComposer())
}
