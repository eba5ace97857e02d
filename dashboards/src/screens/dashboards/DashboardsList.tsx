// The dashboards of the chosen store: open, create (blank or from a template), rename,
// duplicate, delete with confirmation. Viewers only see and open them.
import { useState } from "react";
import { useNavigate } from "react-router";
import { useDashboardMutations, useDashboards } from "../../api/dashboards";
import type { DashboardSummary } from "../../api/types";
import { ConfirmDialog, NameDialog } from "../../components/Modal";
import { EmptyState, ErrorBox, Loading } from "../../components/Status";
import { canEdit } from "../../lib/roles";
import { useCurrentStore } from "../../lib/useCurrentStore";
import { DashboardCard } from "./DashboardCard";
import { TemplatePicker } from "./TemplatePicker";

type Dialog =
  | { kind: "create" }
  | { kind: "template" }
  | { kind: "rename"; d: DashboardSummary }
  | { kind: "duplicate"; d: DashboardSummary }
  | { kind: "delete"; d: DashboardSummary };

export function DashboardsList() {
  const { store, role, stores, isPending: storesPending } = useCurrentStore();
  const list = useDashboards(store?.id);
  const m = useDashboardMutations(store?.id);
  const navigate = useNavigate();
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const editable = canEdit(role);
  const close = () => {
    setDialog(null);
    for (const k of [m.create, m.fromTemplate, m.rename, m.duplicate, m.remove]) k.reset();
  };
  const open = (id: string) => navigate(`/dashboards/${id}`);

  if (storesPending) return <Loading />;
  if (!store) {
    return (
      <EmptyState title={stores?.length === 0 ? "No store yet" : "Choose a store"}>
        You have no role on any store. Ask an administrator of your organisation to add you, or
        create a store with <code>cairn admin store create</code>.
      </EmptyState>
    );
  }

  return (
    <div>
      <div className="page-head">
        <h1>Dashboards</h1>
        <span className="muted">{store.name}</span>
        <div className="spacer" />
        {editable && (
          <>
            <button className="btn" onClick={() => setDialog({ kind: "template" })}>From a template…</button>
            <button className="btn primary" onClick={() => setDialog({ kind: "create" })}>New dashboard</button>
          </>
        )}
      </div>
      {list.isPending && <Loading />}
      {list.error && <ErrorBox error={list.error} title="The dashboards could not be loaded" />}
      {list.data && list.data.length === 0 && (
        <EmptyState
          title="No dashboards yet"
          action={
            editable && (
              <div className="row" style={{ justifyContent: "center" }}>
                <button className="btn primary" onClick={() => setDialog({ kind: "template" })}>Start from a template</button>
                <button className="btn" onClick={() => setDialog({ kind: "create" })}>Blank dashboard</button>
              </div>
            )
          }
        >
          {editable
            ? "A starter template gives you charts of activity over time, the most active people, completion rates and more in one click."
            : "Nobody has shared a dashboard in this store yet. Analysts of your organisation can create them."}
        </EmptyState>
      )}
      {list.data && list.data.length > 0 && (
        <div className="dash-list">
          {list.data.map((d) => (
            <DashboardCard
              key={d.id}
              d={d}
              editable={editable}
              onRename={() => setDialog({ kind: "rename", d })}
              onDuplicate={() => setDialog({ kind: "duplicate", d })}
              onDelete={() => setDialog({ kind: "delete", d })}
            />
          ))}
        </div>
      )}

      {dialog?.kind === "create" && (
        <NameDialog title="New dashboard" submitLabel="Create" pending={m.create.isPending} error={m.create.error}
          onClose={close} onSubmit={(name) => m.create.mutate({ name }, { onSuccess: (d) => open(d.id) })} />
      )}
      {dialog?.kind === "template" && (
        <TemplatePicker pending={m.fromTemplate.isPending} error={m.fromTemplate.error} onClose={close}
          onCreate={(template, name) => m.fromTemplate.mutate(name ? { template, name } : { template }, { onSuccess: (d) => open(d.id) })} />
      )}
      {dialog?.kind === "rename" && (
        <NameDialog title="Rename dashboard" initial={dialog.d.name} submitLabel="Rename" pending={m.rename.isPending}
          error={m.rename.error} onClose={close} onSubmit={(name) => m.rename.mutate({ id: dialog.d.id, name }, { onSuccess: close })} />
      )}
      {dialog?.kind === "duplicate" && (
        <NameDialog title="Duplicate dashboard" initial={`${dialog.d.name} (copy)`} submitLabel="Duplicate"
          pending={m.duplicate.isPending} error={m.duplicate.error} onClose={close}
          onSubmit={(name) => m.duplicate.mutate({ id: dialog.d.id, name }, { onSuccess: close })} />
      )}
      {dialog?.kind === "delete" && (
        <ConfirmDialog title="Delete dashboard" confirmLabel="Delete" pending={m.remove.isPending} error={m.remove.error}
          message={<>Delete <strong>{dialog.d.name}</strong>, its widgets and its share links? Embedded copies stop working.</>}
          onClose={close} onConfirm={() => m.remove.mutate(dialog.d.id, { onSuccess: close })} />
      )}
    </div>
  );
}
