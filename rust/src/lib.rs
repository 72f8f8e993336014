//! surrealcpp's Rust core: an embedded SurrealDB, or a connection to a SurrealDB
//! server, behind a C ABI.
//!
//! The exported functions are in [`api`] (plus `surreal_free_string` in
//! [`strings`]); `include/surreal_core.h` is generated from them by cbindgen.
//! Documents cross as JSON text ([`convert`]) or, losslessly, as CBOR
//! ([`cbor`]).
//! No panic crosses the boundary: see [`error`].

// The futures of SurrealDB's import and export nest deeper than the
// compiler's default limit for computing their layout.
#![recursion_limit = "256"]

pub mod api;
pub mod cancel;
pub mod cbor;
pub mod client;
pub mod convert;
pub mod database;
pub mod error;
pub mod live;
pub mod log;
pub mod operation;
pub mod progress;
pub mod remote;
pub mod resource;
pub mod response;
pub mod rpc;
pub mod runtime;
pub mod strings;

pub use error::{
    SURREAL_ERR_AUTHENTICATION, SURREAL_ERR_CANCELLED, SURREAL_ERR_CONNECTION,
    SURREAL_ERR_INTERNAL, SURREAL_ERR_INVALID_ARGUMENT, SURREAL_ERR_PANIC, SURREAL_ERR_QUERY,
    SURREAL_ERR_TRANSACTION_CONFLICT, SURREAL_OK,
};
