//! One group commit in preparation: persona requests, decided against the committed personas
//! plus the group's earlier changes.
use super::group::Group;
use super::*;
use crate::personas::{Delta, Overlay, PersonaCommand, PersonaEvent, PersonaState, decide};

impl Group {
    /// Checks persona commands of one store (all or nothing) and adds their events to the group.
    pub(super) fn plan_personas(
        &mut self,
        committed: &PersonaState,
        store: StoreId,
        commands: Vec<PersonaCommand>,
    ) -> Result<(), Error> {
        let at_us = self.stored_us + 1;
        let mut scratch: Delta = self.personas.clone();
        let mut changes = Vec::new();
        let mut written = Vec::new();
        for cmd in commands {
            let decided = decide(
                &Overlay {
                    base: committed,
                    delta: &scratch,
                },
                store,
                cmd,
            )?;
            for ch in decided {
                written.extend(scratch.apply(committed, store, &ch, at_us));
                changes.push(ch);
            }
        }
        if changes.is_empty() {
            return Ok(());
        }
        self.stored_us = at_us;
        self.personas = scratch;
        for (id, p) in written {
            self.ws
                .personas
                .push((store, id, p.as_ref().map(crate::personas::encode)));
        }
        for change in changes {
            self.seq += 1;
            let event = Arc::new(PersonaEvent {
                store,
                at_us,
                change,
            });
            self.persona_events.push(event.clone());
            self.ws
                .events
                .push((self.seq, Arc::new(Event::Persona(event))));
        }
        Ok(())
    }
}
