//! The node's REST API, served with axum beside the JSON-RPC server:
//! health and status for operators, blocks and their finality certificates for
//! offline verification, Prometheus metrics, the governance registries and proposals,
//! evidence records and their portable certificates, supervision orders, proposals and
//! audit trails, the gateway (callers holding an API token act as an account whose key
//! the node keeps), product traceability (items, journeys, operations) with the public
//! consumer verification page, and the OpenAPI description.

mod error;
mod evidence;
mod gateway;
mod governance;
mod metrics;
mod openapi;
mod routes;
pub mod supervision;
pub mod time;
pub mod trace;
pub mod verify_page;

pub use error::ApiError;
pub use routes::{ApiContext, router, serve};
