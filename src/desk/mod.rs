//! The desk: the single source of truth for every parameter the user has mapped or shown.
//!
//! It owns parameter ids and kinds (with the X32's exact laws), the task that applies
//! [`Intent`]s and broadcasts [`Change`]s, the outboxes mixers drain, and the meter channels.
//! It depends on no adapter.

mod kind;
pub mod law;
mod link;
mod meters;
mod param;
mod strip;
mod task;
mod units;

pub use kind::{Op, ParamKind, Value, ValueError};
pub use link::{DspStatus, LinkState, LinkStatus, MixerLink, Outbox};
pub use meters::{ChannelLevel, MeterFrame, Meters, Side, StripLevel};
pub use param::{
    filter_param_guess, MixerId, ParamId, ParamIdError, SurfaceParam, MAX_BANK_CHANNELS,
    SCENE_SLOTS,
};
pub use strip::Strip;
pub use task::{
    Change, Desk, DeskGone, DeskHandle, Intent, Origin, TrySendError, CHANGE_CAPACITY,
    INTENT_CAPACITY,
};
pub use units::{Db, Normalized, UnitError};
