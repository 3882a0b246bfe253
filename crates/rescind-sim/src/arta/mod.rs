//! The simulated Arta API.

use axum::Router;
use serde::{Deserialize, Serialize};

use crate::Sim;

/// Arta's part of the simulator's state, and of a seed file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ArtaWorld {}

/// Arta's routes, on the provider's real paths.
pub(crate) fn routes() -> Router<Sim> {
    Router::new()
}
