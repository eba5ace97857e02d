//! Writing a batch of projected statements: the rows of `statements` and the fan-outs the views
//! read, then the batch's retractions. In cluster mode a failed insert may have reached some
//! shards and not others (a `Distributed` insert is not atomic across servers), so its rows are
//! discarded before the next insert writes them again.
use crate::{ClickHouseProjection, err, feed};
use cairn_core::{Projection, ProjectionError, Retraction, StatementRecord};
use std::sync::Arc;

impl ClickHouseProjection {
    /// The prefix of the query id of every write of the projector into this database, or into
    /// this projection's partition of it (see [`ClickHouseProjection::writer`] and
    /// [`Projection::fence`]).
    pub fn write_prefix(&self) -> String {
        format!(
            "cairn-write-{}-{}",
            self.database,
            self.partition.query_id_part()
        )
    }

    /// The client for one write of the projector: its query id starts with the database's write
    /// prefix, so that [`Projection::fence`] can find it while ClickHouse still runs it.
    pub(crate) fn writer(&self) -> clickhouse::Client {
        let id = format!("{}{}", self.write_prefix(), uuid::Uuid::new_v4().simple());
        self.client.clone().with_setting("query_id", id)
    }

    /// [`Projection::fence`]: every write into this database (this partition of it) that ClickHouse is still running
    /// (the projector abandons a write that outlasts its timeout, but the server may go on with
    /// it) is stopped, and this answers once none runs.
    pub(crate) async fn fence_writes(&self) -> Result<(), ProjectionError> {
        self.server
            .query("KILL QUERY WHERE startsWith(query_id, ?) SYNC")
            .bind(self.write_prefix())
            .execute()
            .await
            .map_err(err("stop the writes still running"))
    }

    /// [`Projection::insert`]: on one server, the rows as they are; on a cluster, first the
    /// rows left by a failed insert removed (`discard_after` the seq before its first row).
    pub(crate) async fn insert_batch(
        &self,
        rows: &[(u64, Arc<StatementRecord>)],
        retractions: &[Retraction],
    ) -> Result<(), ProjectionError> {
        if self.cluster.is_none() {
            return self.insert_rows(rows, retractions).await;
        }
        let unsettled = *self.unsettled.lock().expect("unsettled lock");
        if let Some(first) = unsettled {
            // The projector writes in log order after its checkpoint, so every row from the
            // failed batch's first seq on came from it (or from the retry of it).
            self.discard_after(first.saturating_sub(1)).await?;
            *self.unsettled.lock().expect("unsettled lock") = None;
        }
        let result = self.insert_rows(rows, retractions).await;
        if result.is_err() {
            let first = rows
                .first()
                .map(|(seq, _)| *seq)
                .or_else(|| retractions.iter().map(|r| r.at).min());
            if let Some(first) = first {
                let mut u = self.unsettled.lock().expect("unsettled lock");
                *u = Some(u.map_or(first, |s| s.min(first)));
            }
        }
        result
    }

    async fn insert_rows(
        &self,
        rows: &[(u64, Arc<StatementRecord>)],
        retractions: &[Retraction],
    ) -> Result<(), ProjectionError> {
        if rows.is_empty() {
            return self.retract(retractions).await;
        }
        // Three streams, written row by row: the statements, and the fan-outs of the two views
        // that ARRAY JOIN (see `feed`). They are ended in that order, so a failure leaves the
        // later ones unsent: the retried batch re-inserts statements and keys (both collapse by
        // seq) but counts values once.
        let mut statements = self
            .writer()
            .insert::<crate::StatementRow<'_>>("statements")
            .await
            .map_err(err("insert"))?;
        let mut keys = self
            .writer()
            .insert::<feed::KeysFeedRow<'_>>("statement_keys_feed")
            .await
            .map_err(err("insert keys"))?;
        let mut values = self
            .writer()
            .insert::<feed::ValuesFeedRow<'_>>("query_values_feed")
            .await
            .map_err(err("insert values"))?;
        for (seq, record) in rows {
            let facts = record.facts();
            let row = crate::StatementRow::new(*seq, record, &facts);
            statements.write(&row).await.map_err(err("insert"))?;
            keys.write(&feed::KeysFeedRow::of(&row))
                .await
                .map_err(err("insert keys"))?;
            values
                .write(&feed::ValuesFeedRow::of(&row))
                .await
                .map_err(err("insert values"))?;
        }
        statements.end().await.map_err(err("insert"))?;
        keys.end().await.map_err(err("insert keys"))?;
        values.end().await.map_err(err("insert values"))?;
        // After the rows: a retraction may name a statement of this very batch.
        self.retract(retractions).await
    }
}
