use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;
use thiserror::Error;

/// REST errors: a stable `code`, an HTTP status, and a message a user can act on.
#[derive(Debug, Error)]
pub enum ApiError {
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("invalid {field}: {reason}")]
    BadRequest { field: &'static str, reason: String },
    /// No bearer token, or one that is unknown or revoked.
    #[error("{0}")]
    Unauthorized(String),
    /// The transaction was refused (by the node's checks, or because it would revert);
    /// nothing was submitted.
    #[error("transaction rejected: {0}")]
    Rejected(String),
    /// The request cannot be served in the node's current state (no key for the account).
    #[error("{0}")]
    Conflict(String),
    /// The gateway is not enabled on this node.
    #[error("the gateway is not enabled on this node (set [gateway] enabled = true in its config)")]
    GatewayDisabled,
    /// The node is overloaded (pool full); retry later.
    #[error("{0}")]
    Unavailable(String),
    /// The request body is larger than the node's `api.request_bytes_max`; it was not read.
    #[error("request body too large: the limit is {limit} bytes (api.request_bytes_max)")]
    TooLarge { limit: usize },
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "not_found",
            Self::BadRequest { .. } => "bad_request",
            Self::Unauthorized(_) => "unauthorized",
            Self::Rejected(_) => "rejected",
            Self::Conflict(_) => "conflict",
            Self::GatewayDisabled => "gateway_disabled",
            Self::Unavailable(_) => "unavailable",
            Self::TooLarge { .. } => "too_large",
            Self::Internal(_) => "internal",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::NotFound { .. } | Self::GatewayDisabled => StatusCode::NOT_FOUND,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Rejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Every error code, for the OpenAPI document.
    pub const CODES: [&'static str; 9] = [
        "not_found",
        "bad_request",
        "unauthorized",
        "rejected",
        "conflict",
        "gateway_disabled",
        "unavailable",
        "too_large",
        "internal",
    ];
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code(), "message": self.to_string() } });
        let mut response = (self.status(), Json(body)).into_response();
        if matches!(self, Self::Unauthorized(_)) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<entente_storage::StorageError> for ApiError {
    fn from(err: entente_storage::StorageError) -> Self {
        Self::Internal(err.to_string())
    }
}
