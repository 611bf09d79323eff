//! The node's REST API, served with axum beside the JSON-RPC server:
//! health and status for operators, blocks and their finality certificates for
//! offline verification, Prometheus metrics, and the OpenAPI description.

mod error;
mod metrics;
mod openapi;
mod routes;

pub use error::ApiError;
pub use routes::{ApiContext, router, serve};
