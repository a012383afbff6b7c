//! The producer side of a stage (producers and producer_consumers).
//!
//! Demand comes from the dispatcher (which sees every subscribe, ask and cancel) and
//! is served from the buffer first, then by `handle_demand` (producers) or by the
//! queued incoming events (producer_consumers). Emitted events go to the
//! dispatcher; what it cannot send is buffered. In accumulate mode, demand and
//! dispatches are recorded and replayed in order when the mode goes back to forward.

use tether_term::Reference;

use super::GenStage;
use super::opts::{DemandMode, SubscribeOpts};
use super::result::{Cancel, Kind, Role, Subscribed};
use super::server::{Accumulated, Res, StageServer, self_name};
use super::wire::{ConsumerMsg, ProducerMsg, Subscription, ToProducer};
use crate::{ExitReason, Message, demonitor_flush, monitor};

impl<S: GenStage> StageServer<S> {
    pub(crate) async fn on_producer_msg(&mut self, m: ToProducer) -> Res {
        if self.kind == Kind::Consumer {
            crate::runtime::logger::report_error!(
                "GenStage consumer {} received $gen_producer message: {}",
                self_name(),
                m.to_term()
            );
            return Ok(());
        }
        let from = Subscription::new(m.consumer, m.tag);
        match m.msg {
            ProducerMsg::Subscribe { current, opts } => {
                if self.consumers.contains_key(&m.tag) {
                    crate::runtime::logger::report_error!(
                        "GenStage producer {} received duplicated subscription from: {from:?}",
                        self_name()
                    );
                    from.to_consumer::<S::Out>(ConsumerMsg::Cancel(ExitReason::from(
                        "duplicated_subscription",
                    )));
                    return Ok(());
                }
                if let Some((tag, reason)) = current {
                    self.producer_cancel(tag, Cancel::Cancel(reason)).await?;
                }
                let mon = monitor(m.consumer);
                self.monitors.insert(mon, m.tag);
                self.consumers.insert(m.tag, (m.consumer, mon));
                self.producer_subscribe(opts, from).await
            }
            // An ask of 0 (GenStage's `ask/3` never sends one) changes nothing.
            ProducerMsg::Ask(0) if self.consumers.contains_key(&m.tag) => Ok(()),
            ProducerMsg::Ask(n) => {
                if self.consumers.contains_key(&m.tag) {
                    let demand = self.dispatcher.ask(n, &from);
                    self.serve(demand).await
                } else {
                    from.to_consumer::<S::Out>(ConsumerMsg::Cancel(ExitReason::from(
                        "unknown_subscription",
                    )));
                    Ok(())
                }
            }
            ProducerMsg::Cancel(reason) => {
                self.producer_cancel(m.tag, Cancel::Cancel(reason)).await
            }
        }
    }

    async fn producer_subscribe(&mut self, opts: SubscribeOpts, from: Subscription) -> Res {
        match self
            .state
            .handle_subscribe(Role::Consumer, &opts, &from)
            .await
        {
            Subscribed::Automatic => match self.dispatcher.subscribe(&opts, &from) {
                Ok(demand) => self.serve(demand).await,
                Err(reason) => self.producer_cancel(from.tag, Cancel::Cancel(reason)).await,
            },
            Subscribed::Manual => Err(ExitReason::from_term(tether_term::Term::tuple([
                tether_term::Term::atom("bad_return_value"),
                tether_term::Term::atom("manual"),
            ]))),
            Subscribed::Stop(r) => Err(r),
        }
    }

    /// Ends the subscription of the consumer `tag`: confirms the cancel to it, runs
    /// `handle_cancel`, then lets the dispatcher forget it.
    pub(crate) async fn producer_cancel(&mut self, tag: Reference, cancel: Cancel) -> Res {
        let Some((pid, mon)) = self.consumers.remove(&tag) else {
            return Ok(());
        };
        demonitor_flush(mon);
        self.monitors.remove(&mon);
        let from = Subscription::new(pid, tag);
        from.to_consumer::<S::Out>(ConsumerMsg::Cancel(cancel.reason().clone()));
        let e = self.state.handle_cancel(cancel, &from).await;
        self.emitted(e)?;
        let demand = self.dispatcher.cancel(&from);
        self.serve(demand).await
    }

    /// Serves demand the dispatcher returned.
    pub(crate) async fn serve(&mut self, demand: u64) -> Res {
        if self.kind == Kind::ProducerConsumer {
            self.pc_demand = self.pc_demand.saturating_add(demand);
            self.take_from_buffer(self.pc_demand);
            return self.take_queued().await;
        }
        self.take_from_buffer_or_handle_demand(demand).await
    }

    async fn take_from_buffer_or_handle_demand(&mut self, demand: u64) -> Res {
        let left = self.take_from_buffer(demand);
        if left == 0 {
            return Ok(());
        }
        if let Some(acc) = &mut self.accumulated {
            acc.push(Accumulated::Demand(left));
            return Ok(());
        }
        let e = self.state.handle_demand(left).await;
        self.emitted(e)
    }

    /// Dispatches up to `demand` buffered events (and the infos due after them);
    /// returns the demand left.
    fn take_from_buffer(&mut self, mut demand: u64) -> u64 {
        while demand > 0 && self.buffer.len() > 0 {
            let (events, infos) = self.buffer.take(demand.min(usize::MAX as u64) as usize);
            demand -= events.len() as u64;
            self.dispatch_events(events);
            for info in infos {
                self.dispatcher.info(info);
            }
        }
        demand
    }

    /// Hands emitted events to the dispatcher and buffers what it cannot send.
    pub(crate) fn dispatch_events(&mut self, events: Vec<S::Out>) {
        if events.is_empty() {
            return;
        }
        match self.kind {
            Kind::Consumer => {
                crate::runtime::logger::report_error!(
                    "GenStage consumer {} cannot dispatch events (an empty list must be returned): {} events dropped",
                    self_name(),
                    events.len()
                );
                return;
            }
            Kind::Producer => {
                if let Some(acc) = &mut self.accumulated {
                    acc.push(Accumulated::Dispatch(events));
                    return;
                }
            }
            Kind::ProducerConsumer => {}
        }
        let len = events.len() as u64;
        let left = self.dispatcher.dispatch(events);
        if self.kind == Kind::ProducerConsumer {
            let sent = len - left.len() as u64;
            self.pc_demand = self.pc_demand.saturating_sub(sent);
        }
        self.buffer_events(left);
    }

    fn buffer_events(&mut self, events: Vec<S::Out>) {
        if events.is_empty() {
            return;
        }
        let (excess, released) = self.buffer.store(events, self.keep);
        if excess > 0 && self.state.format_discarded(excess) {
            crate::runtime::logger::report_warn!(
                "GenStage producer {} has discarded {excess} events from buffer",
                self_name()
            );
        }
        for info in released {
            self.dispatcher.info(info);
        }
    }

    /// `sync_info` / `async_info`: the info goes behind the buffered events (and, in
    /// a producer_consumer, behind the queued incoming ones).
    pub(crate) fn producer_info(&mut self, msg: Message) {
        match self.kind {
            Kind::Consumer => {
                let _ = crate::send_message(crate::self_pid(), msg);
            }
            Kind::ProducerConsumer if !self.queue.is_empty() => {
                self.queue.push_back(super::server::Queued::Info(msg));
            }
            _ => self.buffer_or_dispatch_info(msg),
        }
    }

    pub(crate) fn buffer_or_dispatch_info(&mut self, msg: Message) {
        if let Err(msg) = self.buffer.store_info(msg) {
            self.dispatcher.info(msg);
        }
    }

    /// `demand/2`: switch the demand mode; going to forward replays what was
    /// accumulated, in order.
    pub(crate) async fn set_demand(&mut self, mode: DemandMode) -> Res {
        match (self.kind, mode) {
            (Kind::ProducerConsumer, DemandMode::Forward) => Ok(()),
            (Kind::Producer, DemandMode::Accumulate) => {
                self.accumulated.get_or_insert_with(Vec::new);
                Ok(())
            }
            (Kind::Producer, DemandMode::Forward) => {
                for item in self.accumulated.take().unwrap_or_default() {
                    match item {
                        Accumulated::Demand(d) => self.take_from_buffer_or_handle_demand(d).await?,
                        Accumulated::Dispatch(events) => self.dispatch_events(events),
                    }
                }
                Ok(())
            }
            (kind, _) => {
                crate::runtime::logger::report_error!(
                    "Demand mode can only be set for producers, GenStage {} is a {kind:?}",
                    self_name()
                );
                Ok(())
            }
        }
    }
}
