//! The consumer side of a stage (consumers and producer_consumers): subscribing,
//! receiving events in batches and asking again, cancellations per cancel mode, and
//! the producer_consumer's queue of incoming work.

use tether_term::{Reference, Term};

use super::GenStage;
use super::batch;
use super::client::SubscribeError;
use super::control::ControlReply;
use super::opts::{CancelMode, SubscribeOpts};
use super::result::{Cancel, Kind, Role, Subscribed};
use super::server::{Queued, Res, StageServer, Upstream, self_name};
use super::wire::{ConsumerMsg, ProducerMsg, Subscription, ToConsumer};
use crate::process::Target;
use crate::{Dest, ExitReason, MonitorTarget, demonitor_flush, make_ref, monitor};

impl<S: GenStage> StageServer<S> {
    /// `sync_subscribe` / `async_subscribe` (and `subscribe_to` at init).
    pub(crate) async fn consumer_subscribe(
        &mut self,
        current: Option<(Reference, ExitReason)>,
        to: Dest,
        opts: SubscribeOpts,
    ) -> (Option<ControlReply>, Res) {
        let reply = |r| Some(ControlReply::Subscribed(r));
        if self.kind == Kind::Producer {
            crate::runtime::logger::report_error!(
                "GenStage producer {} cannot be subscribed to another stage: {to:?}",
                self_name()
            );
            return (reply(Err(SubscribeError::NotAConsumer)), Ok(()));
        }
        let (max, min, cancel) = match opts.validate() {
            Ok(v) => v,
            Err(msg) => {
                crate::runtime::logger::report_error!(
                    "GenStage consumer {} subscribe received invalid option: {msg}",
                    self_name()
                );
                return (reply(Err(SubscribeError::BadOpts(msg))), Ok(()));
            }
        };
        let (target, dest) = match to.target() {
            Target::Pid(p) => (MonitorTarget::Pid(p), Dest::Pid(p)),
            Target::RemoteName(n, node) => (
                MonitorTarget::Remote(n.clone(), node),
                Dest::Remote(n, node),
            ),
            Target::NoProc => {
                if cancel == CancelMode::Temporary {
                    return (reply(Ok(make_ref())), Ok(()));
                }
                crate::runtime::logger::report_error!(
                    "GenStage consumer {} was not able to subscribe to the process {to:?} because that process is not alive",
                    std::any::type_name::<S>()
                );
                return (reply(Ok(make_ref())), Err(ExitReason::Noproc));
            }
        };
        let tag = monitor(target);
        let sub = Subscription { to: dest, tag };
        sub.subscribe(current, opts.clone());
        match self
            .state
            .handle_subscribe(Role::Producer, &opts, &sub)
            .await
        {
            Subscribed::Automatic => {
                sub.ask(max);
                self.producers.insert(
                    tag,
                    Upstream {
                        sub,
                        cancel,
                        demand: Some((max, min, max)),
                    },
                );
                (reply(Ok(tag)), Ok(()))
            }
            Subscribed::Manual => {
                self.producers.insert(
                    tag,
                    Upstream {
                        sub,
                        cancel,
                        demand: None,
                    },
                );
                (reply(Ok(tag)), Ok(()))
            }
            Subscribed::Stop(r) => (None, Err(r)),
        }
    }

    pub(crate) async fn on_consumer_msg(&mut self, m: ToConsumer<S::In>) -> Res {
        if self.kind == Kind::Producer {
            crate::runtime::logger::report_error!(
                "GenStage producer {} received $gen_consumer message from {}",
                self_name(),
                m.producer
            );
            return Ok(());
        }
        match m.msg {
            ConsumerMsg::Events(events, undecoded) => {
                if !self.producers.contains_key(&m.tag) {
                    Subscription::new(m.producer, m.tag).to_producer(ProducerMsg::Cancel(
                        ExitReason::from("unknown_subscription"),
                    ));
                    return Ok(());
                }
                if self.kind == Kind::ProducerConsumer {
                    self.queue
                        .push_back(Queued::Events(events, undecoded, m.tag));
                    return self.take_queued().await;
                }
                self.receive_events(events, undecoded, m.tag).await
            }
            ConsumerMsg::Cancel(reason) => {
                self.consumer_cancel(m.tag, Cancel::Cancel(reason)).await
            }
        }
    }

    /// Hands events of the subscription `tag` to `handle_events`, batch by batch,
    /// asking again as the batching rule says.
    async fn receive_events(
        &mut self,
        mut events: Vec<S::In>,
        undecoded: usize,
        tag: Reference,
    ) -> Res {
        let Some(up) = self.producers.get_mut(&tag) else {
            // Queued in a producer_consumer, and the producer is gone since.
            let from = Subscription::new(crate::self_pid(), tag);
            let e = self.state.handle_events(events, &from).await;
            return self.emitted(e);
        };
        let from = up.sub.clone();
        let batches = match &mut up.demand {
            None => vec![batch::Batch {
                size: events.len(),
                ask: 0,
            }],
            Some((pending, min, max)) => {
                // Events that did not decode count against the demand first.
                let (mut batches, new_pending, excess) =
                    batch::split(events.len() + undecoded, *pending, *min, *max);
                *pending = new_pending;
                if excess > 0 {
                    crate::runtime::logger::report_error!(
                        "GenStage consumer {} has received {excess} events in excess from: {from:?}",
                        self_name()
                    );
                }
                strip_undecoded(&mut batches, undecoded, &from);
                batches
            }
        };
        for b in batches {
            let rest = events.split_off(b.size.min(events.len()));
            let batch = std::mem::replace(&mut events, rest);
            if !batch.is_empty() {
                let e = self.state.handle_events(batch, &from).await;
                self.emitted(e)?;
            }
            from.ask(b.ask);
        }
        Ok(())
    }

    /// Ends our subscription `tag` to a producer.
    pub(crate) async fn consumer_cancel(&mut self, tag: Reference, cancel: Cancel) -> Res {
        let Some(up) = self.producers.remove(&tag) else {
            return Ok(());
        };
        demonitor_flush(tag);
        if self.kind == Kind::ProducerConsumer && !self.queue.is_empty() {
            self.queue
                .push_back(Queued::Cancel(up.cancel, cancel, up.sub));
            return Ok(());
        }
        self.invoke_cancel(up.cancel, cancel, up.sub).await
    }

    async fn invoke_cancel(&mut self, mode: CancelMode, cancel: Cancel, from: Subscription) -> Res {
        let reason = cancel.reason().clone();
        let e = self.state.handle_cancel(cancel, &from).await;
        self.emitted(e)?;
        let stop = match mode {
            CancelMode::Permanent => true,
            CancelMode::Transient => !reason.is_clean(),
            CancelMode::Temporary => false,
        };
        if !stop || reason.to_term() == Term::atom("already_subscribed") {
            return Ok(());
        }
        tracing::info!(
            "GenStage consumer {} is stopping after receiving cancel from producer {:?} with reason: {reason}",
            self_name(),
            from.to
        );
        Err(reason)
    }

    /// Producer_consumers: works through the queue while there is downstream demand.
    pub(crate) async fn take_queued(&mut self) -> Res {
        while self.pc_demand > 0 {
            let Some(item) = self.queue.pop_front() else {
                break;
            };
            match item {
                Queued::Info(msg) => self.buffer_or_dispatch_info(msg),
                Queued::Cancel(mode, cancel, from) => {
                    self.invoke_cancel(mode, cancel, from).await?
                }
                Queued::Events(events, undecoded, tag) => {
                    self.receive_events(events, undecoded, tag).await?
                }
            }
        }
        Ok(())
    }
}

/// Removes `undecoded` events from the front batches (they were dropped on
/// arrival), asking for them as the rule says.
fn strip_undecoded(batches: &mut Vec<batch::Batch>, mut undecoded: usize, from: &Subscription) {
    while undecoded > 0 {
        let Some(first) = batches.first_mut() else {
            return;
        };
        let n = first.size.min(undecoded);
        first.size -= n;
        undecoded -= n;
        if first.size == 0 {
            from.ask(first.ask);
            batches.remove(0);
        }
    }
}
