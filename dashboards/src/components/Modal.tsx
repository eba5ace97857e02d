// A modal dialog: backdrop, title, body, footer; Escape and the close button dismiss it.
import { useEffect, type ReactNode } from "react";

export function Modal({
  title,
  onClose,
  children,
  footer,
  wide = false,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  wide?: boolean;
}) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={wide ? "modal wide" : "modal"} role="dialog" aria-modal="true" aria-label={title}>
        <div className="modal-head">
          <h2>{title}</h2>
          <button className="btn ghost" aria-label="Close" onClick={onClose}>✕</button>
        </div>
        <div className="modal-body">{children}</div>
        {footer && <div className="modal-foot">{footer}</div>}
      </div>
    </div>
  );
}

/** Asks before something that cannot be undone. */
export function ConfirmDialog({
  title,
  message,
  confirmLabel,
  onConfirm,
  onClose,
  pending = false,
  error,
}: {
  title: string;
  message: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onClose: () => void;
  pending?: boolean;
  error?: Error | null;
}) {
  return (
    <Modal
      title={title}
      onClose={onClose}
      footer={
        <>
          <button className="btn" onClick={onClose}>Cancel</button>
          <button className="btn danger solid" onClick={onConfirm} disabled={pending}>{confirmLabel}</button>
        </>
      }
    >
      <p>{message}</p>
      {error && <p className="error" role="alert">{error.message}</p>}
    </Modal>
  );
}

/** Asks for a name (create, rename, duplicate). */
export function NameDialog({
  title,
  initial = "",
  submitLabel,
  onSubmit,
  onClose,
  pending = false,
  error,
}: {
  title: string;
  initial?: string;
  submitLabel: string;
  onSubmit: (name: string) => void;
  onClose: () => void;
  pending?: boolean;
  error?: Error | null;
}) {
  const formId = `name-${title.replace(/\W+/g, "-").toLowerCase()}`;
  return (
    <Modal
      title={title}
      onClose={onClose}
      footer={
        <>
          <button className="btn" onClick={onClose}>Cancel</button>
          <button className="btn primary" type="submit" form={formId} disabled={pending}>{submitLabel}</button>
        </>
      }
    >
      <form
        id={formId}
        onSubmit={(e) => {
          e.preventDefault();
          const name = String(new FormData(e.currentTarget).get("name") ?? "").trim();
          if (name) onSubmit(name);
        }}
      >
        <label>
          Name
          <input name="name" defaultValue={initial} required autoFocus maxLength={200} />
        </label>
      </form>
      {error && <p className="error" role="alert">{error.message}</p>}
    </Modal>
  );
}
