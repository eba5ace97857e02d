//! Replaced messages (cluster mode's purges, `cairn_core::purge::rewrite`): a redacted copy of
//! message `n` of the log's stream is kept in a second stream, `<stream>_REWRITTEN`, under the
//! subject `cairn.rewritten.<stream>.<n>`. Replacing stores the copy first (on the condition
//! that the subject's last copy is still the one read, so of two nodes replacing at once one
//! wins), waits for the quorum's acknowledgement, then erases the message it replaces with
//! JetStream's message delete, which overwrites the stored bytes (no `no_erase`): the original
//! in the log's stream, or an earlier copy. Reads answer the original while it exists, else its
//! copy, else an empty message (a hole).
use super::JetStreamLog;
use async_nats::jetstream::ErrorCode;
use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::stream::{self, LastRawMessageErrorKind};

/// The companion stream of the log's stream `name`.
pub(crate) fn stream_name(name: &str) -> String {
    format!("{name}_REWRITTEN")
}

/// The subjects of the companion stream of the log's stream `name`.
pub(crate) fn subjects(name: &str) -> String {
    format!("cairn.rewritten.{name}.*")
}

/// The companion stream's settings.
pub(crate) fn config(name: &str, replicas: usize) -> stream::Config {
    stream::Config {
        name: stream_name(name),
        subjects: vec![subjects(name)],
        num_replicas: replicas,
        storage: stream::StorageType::File,
        ..Default::default()
    }
}

/// JetStream's error for a message that is not (or no longer) in a stream.
const NO_MESSAGE: ErrorCode = ErrorCode::NO_MESSAGE_FOUND;

fn missing(e: &stream::LastRawMessageError) -> bool {
    match e.kind() {
        LastRawMessageErrorKind::NoMessageFound => true,
        LastRawMessageErrorKind::JetStream(j) => j.error_code() == NO_MESSAGE,
        _ => false,
    }
}

impl JetStreamLog {
    fn copy_subject(&self, at: u64) -> String {
        format!("cairn.rewritten.{}.{at}", self.stream)
    }

    /// The current copy of message `at`: its position in the companion stream and payload.
    async fn copy_of(&self, at: u64) -> Result<Option<(u64, Vec<u8>)>, String> {
        let s = self
            .js
            .get_stream_no_info(stream_name(&self.stream))
            .await
            .map_err(|e| e.to_string())?;
        match s
            .get_last_raw_message_by_subject(&self.copy_subject(at))
            .await
        {
            Ok(m) => Ok(Some((m.sequence, m.payload.to_vec()))),
            Err(e) if missing(&e) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Message `at` as a node applies it: the original, else its copy, else empty.
    pub(crate) async fn effective(
        &self,
        s: &stream::Stream<()>,
        at: u64,
    ) -> Result<Vec<u8>, String> {
        match s.get_raw_message(at).await {
            Ok(m) => Ok(m.payload.to_vec()),
            Err(e) if missing(&e) => {
                Ok(self.copy_of(at).await?.map(|(_, p)| p).unwrap_or_default())
            }
            Err(e) => Err(e.to_string()),
        }
    }

    /// See [`cairn_core::replicated::ReplicatedLog::replace`].
    pub(crate) async fn replace_message(&self, at: u64, payload: Vec<u8>) -> Result<bool, String> {
        let earlier = self.copy_of(at).await?.map(|(seq, _)| seq);
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(
            async_nats::header::NATS_EXPECTED_LAST_SUBJECT_SEQUENCE,
            earlier.unwrap_or(0).to_string().as_str(),
        );
        let published = async {
            self.js
                .publish_with_headers(self.copy_subject(at), headers, payload.into())
                .await?
                .await
        }
        .await;
        match published {
            Ok(_) => {}
            Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => return Ok(false),
            Err(e) => return Err(format!("the copy of message {at} was not confirmed: {e}")),
        }
        let log = self
            .js
            .get_stream_no_info(&self.stream)
            .await
            .map_err(|e| e.to_string())?;
        erase(&log, &self.stream, at).await?;
        if let Some(seq) = earlier {
            let copies = self
                .js
                .get_stream_no_info(stream_name(&self.stream))
                .await
                .map_err(|e| e.to_string())?;
            erase(&copies, &stream_name(&self.stream), seq).await?;
        }
        Ok(true)
    }
}

/// Erases message `seq` of `s` (its bytes overwritten); one already gone is not an error.
async fn erase(s: &stream::Stream<()>, name: &str, seq: u64) -> Result<(), String> {
    match s.delete_message(seq).await {
        Ok(_) => Ok(()),
        Err(e) => match e.kind() {
            stream::DeleteMessageErrorKind::JetStream(j)
                if [NO_MESSAGE, ErrorCode::SEQUENCE_NOT_FOUND].contains(&j.error_code()) =>
            {
                Ok(())
            }
            _ => Err(format!("message {seq} of {name} was not erased: {e}")),
        },
    }
}
