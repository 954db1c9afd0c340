//! The domain: what an e-card code is, who may sign one, what documents look like.
//! Nothing in here performs I/O or knows about terminals; time comes in as a value.

pub mod assess;
pub mod checkpoint;
pub mod checks;
pub mod clock;
pub mod credential;
pub mod decision;
pub mod documents;
pub mod forgery;
pub mod holder;
pub mod ids;
pub mod lane_time;
pub mod lang;
pub mod replay;
pub mod score;
pub mod text;
pub mod trust;
pub mod verdict;
