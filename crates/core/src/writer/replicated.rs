//! Cluster mode: the seam between the writer and the replicated log. A group is decided as on
//! a single node, appended to the replicated log on the condition that no other node appended
//! since this node last applied, and only then committed to the embedded store and answered.
//! When another node appended first, the writer applies the messages it missed (store, tail,
//! caches, tenancy, dashboards, forwarders, personas) and decides the same requests again.
use super::*;
use crate::replicated::{APPLIED_META, AppendError, ReplicatedLog};

/// Messages read from the replicated log at once while catching up.
const CATCH_UP_BATCH: usize = 256;
/// Times one group is decided again after other nodes appended first, before its requests are
/// answered 503 (the log is too busy for this node to get a turn).
const MAX_ATTEMPTS: usize = 64;

impl Writer {
    /// Before the first request: applies everything appended since this node last ran.
    pub(super) fn start_replicated(
        &mut self,
        r: &dyn ReplicatedLog,
        shared: &Shared,
        pos: &mut Position,
    ) {
        // Another node may be appending statements with `stored` times up to its own clock's
        // now: this node vouches only for what it has applied (`consistent_through_us` is then
        // the last applied `stored`).
        shared.inflight_from_us.store(i64::MIN, Ordering::Release);
        match self.replicated_position() {
            Ok((applied, through)) => {
                pos.applied = applied;
                // A redacted message's last positions may have been removed from the store.
                pos.seq = pos.seq.max(through);
                shared.last_seq.store(pos.seq, Ordering::Release);
            }
            Err(e) => {
                shared.failed.send_replace(Some(e.to_string()));
                return;
            }
        }
        if let Err(e) = self.catch_up(r, shared, pos) {
            tracing::warn!(error = %e, "cannot catch up with the replicated log yet");
        }
    }

    pub(super) fn commit_replicated(
        &mut self,
        r: &dyn ReplicatedLog,
        group: Vec<(WriteRequest, Reply)>,
        shared: &Shared,
        pos: &mut Position,
    ) {
        let (requests, waiters): (Vec<_>, Vec<_>) = group.into_iter().unzip();
        let mut catch_up_first =
            pos.applied == 0 || requests.iter().any(|r| matches!(r, WriteRequest::CatchUp));
        for _ in 0..MAX_ATTEMPTS {
            let caught_up = catch_up_first;
            if catch_up_first && let Err(e) = self.catch_up(r, shared, pos) {
                answer_all(waiters, e.to_string());
                return;
            }
            catch_up_first = true;
            let mut g = Group::new(pos.seq, pos.stored.max(crate::time_fmt::now_us()));
            let outcomes: Vec<_> = requests
                .iter()
                .map(|req| match req {
                    WriteRequest::Purge(w) => self
                        .may_begin(w)
                        .and_then(|()| self.plan_one(&mut g, req.clone())),
                    req => self.plan_one(&mut g, req.clone()),
                })
                .collect();
            let merged = match g.seal(&*self.log) {
                Ok(merged) => merged,
                Err(e) => {
                    answer_all(waiters, e.to_string());
                    return;
                }
            };
            if g.ws.is_empty() {
                // Nothing to append, so no expected position checks the decision: a refusal
                // (409, 412, …) made on a state behind the log is decided again once caught up
                // (a client may have read the newer state through another node).
                if !caught_up && outcomes.iter().any(Result::is_err) {
                    continue;
                }
                answer(waiters, outcomes, pos.seq);
                return;
            }
            if pos.held {
                answer_all(
                    waiters,
                    "this node is still finishing an earlier purge and cannot write yet; try \
                     again shortly or use another node"
                        .into(),
                );
                return;
            }
            let payload = crate::replicated::encode_group(&g.ws);
            if payload.len() > r.max_message_bytes() {
                // One message per group, and the log refuses messages over its size limit:
                // commit the group in two halves, each decided again on its own.
                let group: Vec<_> = requests.into_iter().zip(waiters).collect();
                if group.len() == 1 {
                    answer(
                        waiters_of(group),
                        vec![Err(too_large(payload.len(), r))],
                        pos.seq,
                    );
                    return;
                }
                let mut first = group;
                let second = first.split_off(first.len() / 2);
                self.commit_replicated(r, first, shared, pos);
                self.commit_replicated(r, second, shared, pos);
                return;
            }
            let started = std::time::Instant::now();
            let appended = r.append(pos.applied, payload);
            metrics::histogram!("cairn_writer_replicated_append_seconds")
                .record(started.elapsed().as_secs_f64());
            match appended {
                Ok(at) => {
                    g.ws.meta
                        .push((APPLIED_META.into(), Some(at.to_be_bytes().to_vec())));
                    if let Err(e) = self.log.commit(&g.ws) {
                        let replies = waiters.into_iter().zip(outcomes).collect();
                        fail_group(shared, replies, &e);
                        return;
                    }
                    pos.applied = at;
                    self.committed(g, merged, shared, pos);
                    answer(waiters, outcomes, pos.seq);
                    return;
                }
                Err(AppendError::Behind) => {
                    metrics::counter!("cairn_writer_replicated_retries_total").increment(1);
                }
                Err(AppendError::Unavailable(e)) => {
                    answer_all(waiters, e);
                    return;
                }
            }
        }
        answer_all(
            waiters,
            "other nodes kept appending first; try again".into(),
        );
    }

    /// Applies every message after the last one applied, in order.
    fn catch_up(
        &mut self,
        r: &dyn ReplicatedLog,
        shared: &Shared,
        pos: &mut Position,
    ) -> Result<(), crate::ports::StoreError> {
        pos.held = false;
        loop {
            let batch = r.read_after(pos.applied, CATCH_UP_BATCH)?;
            if batch.is_empty() {
                return Ok(());
            }
            for (at, payload) in batch {
                let mut ws = if payload.is_empty() {
                    WriteSet::default()
                } else {
                    crate::replicated::decode_group(&payload)?
                };
                if let Err(why) = crate::replicated::continues(&ws, pos.seq) {
                    let e = crate::ports::StoreError(format!("replicated log message {at} {why}"));
                    shared.failed.send_replace(Some(e.to_string()));
                    return Err(e);
                }
                if !self.may_apply(&ws)? {
                    // Applied once this node has finished its purge (it catches up then).
                    pos.held = true;
                    return Ok(());
                }
                ws.meta
                    .retain(|(k, _)| k != crate::replicated::CONTINUES_META);
                super::purges::mark_finished(&mut ws);
                ws.meta
                    .push((APPLIED_META.into(), Some(at.to_be_bytes().to_vec())));
                if let Err(e) = self.log.commit(&ws) {
                    shared.failed.send_replace(Some(e.to_string()));
                    return Err(e);
                }
                pos.applied = at;
                self.applied_remote(&ws, shared, pos)?;
                if let Some(through) = super::purges::through(&ws.meta) {
                    // A redacted message: the log continues after the positions it covered.
                    pos.seq = pos.seq.max(through);
                    shared.last_seq.store(pos.seq, Ordering::Release);
                }
                if super::purges::begins_purge(&ws) {
                    shared.purges.send_replace(at);
                }
            }
        }
    }

    /// A group another node decided is now in the store: the in-memory state takes it in.
    fn applied_remote(
        &mut self,
        ws: &WriteSet,
        shared: &Shared,
        pos: &mut Position,
    ) -> Result<(), crate::ports::StoreError> {
        let mut records = Vec::new();
        let mut personas = Vec::new();
        // A seeded log's first messages carry materialized rows without log entries (see
        // `cairn cluster-seed`): the rows, not only the events, say what to reload.
        let mut dashboards = !ws.dashboards.is_empty();
        let mut forwarders = !ws.forwarders.is_empty();
        for (s, e) in &ws.events {
            pos.stored = pos.stored.max(e.at_us());
            match &**e {
                Event::Statement(r) => {
                    self.tail.push(*s, r.clone());
                    records.push((*s, r.clone()));
                }
                Event::Persona(p) => {
                    self.tail.push_persona(*s, p.clone());
                    personas.push(p.clone());
                }
                Event::Dashboard(_) => dashboards = true,
                Event::Forwarder(_) => forwarders = true,
                _ => {}
            }
        }
        if let Some((last, _)) = ws.events.last() {
            pos.seq = *last;
        }
        if !ws.activities.is_empty() {
            self.activities.clear();
        }
        if let Some(hook) = &self.hook {
            hook(&records);
        }
        if let Some(reg) = &self.tenancy
            && !ws.entities.is_empty()
        {
            let fresh = crate::tenancy::Registry::load(&*self.log)?;
            reg.replace(fresh.current().state.clone());
        }
        if dashboards {
            self.dashboards.reload(&*self.log)?;
        }
        if forwarders {
            self.forwarders.reload(&*self.log)?;
        }
        if !personas.is_empty() {
            self.personas.apply(&personas);
        }
        if let Some(all) = crate::timeline::restored::in_meta(&ws.meta)? {
            self.timeline.replace_restored(&all);
        }
        shared.last_stored_us.store(pos.stored, Ordering::Release);
        shared.last_seq.store(pos.seq, Ordering::Release);
        // `send_replace`: at start-up the catch-up runs before the projector subscribes, and
        // `send` would drop the new head with no receiver yet.
        shared.committed.send_replace(pos.seq);
        Ok(())
    }
}

fn waiters_of(group: Vec<(WriteRequest, Reply)>) -> Vec<Reply> {
    group.into_iter().map(|(_, reply)| reply).collect()
}

/// One request whose write set alone is over the replicated log's message limit.
fn too_large(bytes: usize, r: &dyn ReplicatedLog) -> Error {
    Error::PayloadTooLarge(format!(
        "this request's statements and documents take {bytes} bytes in the cluster's log, over \
         the {} bytes a message may hold (nats-server's max_payload): send fewer statements per \
         request",
        r.max_message_bytes()
    ))
}

fn answer(waiters: Vec<Reply>, outcomes: Vec<Result<(), Error>>, seq: u64) {
    for (reply, outcome) in waiters.into_iter().zip(outcomes) {
        let _ = reply.send(outcome.map(|()| seq));
    }
}

/// Every request of the group fails with 503: nothing of it was committed.
fn answer_all(waiters: Vec<Reply>, why: String) {
    for reply in waiters {
        let _ = reply.send(Err(Error::Unavailable(why.clone())));
    }
}
