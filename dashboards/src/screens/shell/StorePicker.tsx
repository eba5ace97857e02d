// The store picker in the header: every store the caller can see.
import { useLocation, useNavigate } from "react-router";
import { rememberStore, useCurrentStore } from "../../lib/useCurrentStore";

export function StorePicker() {
  const { stores, store, choose } = useCurrentStore();
  const location = useLocation();
  const navigate = useNavigate();
  if (!stores || stores.length === 0) return null;
  const onChange = (id: string) => {
    if (location.pathname === "/") choose(id);
    else {
      rememberStore(id);
      navigate(`/?store=${encodeURIComponent(id)}`);
    }
  };
  return (
    <label className="store-picker">
      <span className="muted">Store</span>
      <select aria-label="Store" value={store?.id ?? ""} onChange={(e) => onChange(e.target.value)}>
        {stores.map((s) => (
          <option key={s.id} value={s.id}>{s.name}</option>
        ))}
      </select>
    </label>
  );
}
