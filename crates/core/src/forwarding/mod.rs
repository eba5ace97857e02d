//! Statement forwarding: a store's statements sent on to another LRS or a webhook. A
//! forwarder is data ([`model`]), changed through the writer like every aggregate ([`decide`],
//! pure; `Event::Forwarder` in the log; the `forwarders` keyspace), and a cursor on the log: the
//! [`hub`] runs one task per enabled forwarder, which reads statements after its durable
//! cursor, sends them in batches ([`delivery::Deliver`], implemented by the server over HTTP),
//! and moves the cursor only once the target acknowledged. Batches the target refuses for good,
//! or that keep failing past the retry limits, become dead letters, kept with the target's
//! answer, to be retried or discarded. [`address`] keeps targets off non-public addresses.
//! In cluster mode only the holder of the forwarding lease forwards ([`shared`]), and the dead
//! letters are the cluster's, in its replicated bucket ([`shared_dead`]).
pub mod address;
mod dead;
mod decide;
pub mod delivery;
pub mod hub;
pub mod model;
mod runner;
mod service;
pub mod shared;
pub mod shared_dead;
mod state;

pub use decide::{
    ForwarderCommand, ForwarderPatch, ForwardingLimits, NAME_MAX_CHARS, SECRET_MIN_CHARS,
    check_target, decide,
};
pub use delivery::{Answer, Batch, Deliver, Matcher, RetryPolicy};
pub use hub::{DeliverySettings, Hub, StatusView};
pub use model::{
    Auth, DeadLetter, Forwarder, ForwarderChange, ForwarderEvent, ForwarderState, Health, Target,
    XapiVersion,
};
pub use service::{
    AuthInput, ForwarderEdit, ForwarderService, NewForwarder, ReplayFrom, TargetInput,
};
pub use shared::{Cluster, SharedCursor};
pub use shared_dead::SharedDeadLetters;
pub use state::{Forwarders, LastError, Status, StatusData};
