// A client's credentials right after it was created or its secret rotated: the only time the
// secret is shown (Cairn keeps a hash). With the endpoint and a curl command that uses them.
import type { ClientWithSecret } from "../../api/admin";
import { Modal } from "../../components/Modal";
import { curlCommand, xapiEndpoint } from "../../lib/curl";
import css from "./admin.module.css";

export function SecretDialog({ created, rotated, onClose }: { created: ClientWithSecret; rotated: boolean; onClose: () => void }) {
  const { client, secret } = created;
  return (
    <Modal
      title={rotated ? `New secret of ${client.name}` : `Client ${client.name} created`}
      onClose={onClose}
      wide
      footer={<button className="btn primary" onClick={onClose}>I have copied the secret</button>}
    >
      <p className="notice" role="status">
        Copy the secret now: it is shown this once. {rotated ? "The old secret has stopped working. " : ""}
        If it is lost, rotate the secret to get a new one.
      </p>
      <div className={css.secret}>
        <span>Endpoint</span><code>{xapiEndpoint()}</code>
        <span>Key</span><code data-testid="client-key">{client.key}</code>
        <span>Secret</span><code data-testid="client-secret">{secret}</code>
      </div>
      <div>
        <h3>Send a statement from a terminal</h3>
        <pre className="code">{curlCommand({ key: client.key, secret })}</pre>
      </div>
    </Modal>
  );
}
