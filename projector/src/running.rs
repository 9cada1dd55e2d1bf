//! The projector's batch tasks in flight: the partitions each one applies (to tell which ones a
//! panic came from), and, per partition, the connection its last batch sent on the carried state
//! hands over to a batch sent behind it.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use event_log::LogEntry;
use read_store::projection::HandedOver;
use read_store::StoreError;
use tokio::sync::oneshot;
use tokio::task::{Id, JoinSet};

use crate::apply::{BatchOutcome, InTurn};

/// A batch that ran: its partition, its result and how long it took.
pub(crate) type Finished = (u32, Result<BatchOutcome, StoreError>, Duration);

/// What a batch task did: the batches it ran, or — a batch of several partitions that could not
/// run together — the batches to run one by one.
pub(crate) enum Ran {
    Batches(Vec<Finished>),
    Separately(Vec<(u32, Vec<LogEntry>)>),
}

#[derive(Default)]
pub(crate) struct Running {
    tasks: JoinSet<Ran>,
    partitions_of: HashMap<Id, Vec<u32>>,
    /// Per partition, the connection its last batch sent on the carried state hands over.
    turns: HashMap<u32, InTurn>,
}

impl Running {
    pub(crate) fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Starts `task`, which applies batches of `partitions`.
    pub(crate) fn spawn(
        &mut self,
        partitions: Vec<u32>,
        task: impl Future<Output = Ran> + Send + 'static,
    ) {
        let id = self.tasks.spawn(task).id();
        self.partitions_of.insert(id, partitions);
    }

    /// The turn of a batch of `partition` sent on its carried state: the connection to send it
    /// on, handed over by the batch before it (`behind`: one is in flight; none if that one was
    /// applied the usual way, then committed already), and where to hand its own over.
    pub(crate) fn take_turn(
        &mut self,
        partition: u32,
        behind: bool,
    ) -> (Option<InTurn>, oneshot::Sender<HandedOver>) {
        let after = self.turns.remove(&partition).filter(|_| behind);
        let (next, turn) = oneshot::channel();
        self.turns.insert(partition, turn);
        (after, next)
    }

    /// A batch of `partition` applied the usual way: nothing is sent behind it on its
    /// connection.
    pub(crate) fn no_turn(&mut self, partition: u32) {
        self.turns.remove(&partition);
    }

    /// The next task to finish (`None`: none is running). A panic (a bug in deciding or
    /// applying some record) counts as a failure of its partitions, which are retried like any
    /// other — never taking down the others.
    pub(crate) async fn join_next(&mut self) -> Option<Ran> {
        Some(match self.tasks.join_next_with_id().await? {
            Ok((id, ran)) => {
                self.partitions_of.remove(&id);
                ran
            }
            Err(error) => {
                let partitions = self.partitions_of.remove(&error.id()).unwrap_or_default();
                Ran::Batches(
                    partitions
                        .into_iter()
                        .map(|partition| {
                            let failure =
                                StoreError::Corrupt(format!("the batch task failed: {error}"));
                            (partition, Err(failure), Duration::ZERO)
                        })
                        .collect(),
                )
            }
        })
    }
}
