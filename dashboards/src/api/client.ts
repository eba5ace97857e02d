// The admin API client: openapi-fetch over the generated paths, plus `request` for routes the
// OpenAPI document does not describe yet. Every error answer becomes an ApiError.
import createClient from "openapi-fetch";
import type { paths } from "./schema";

export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });

/** An error answer of the API: its status and the server's message. */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
    this.name = "ApiError";
  }
}

/** The message of an error body `{"error": {"code", "message"}}`, or a generic one. */
export function errorMessage(status: number, body: unknown): string {
  if (body && typeof body === "object" && "error" in body) {
    const e = (body as { error?: { message?: unknown } }).error;
    if (e && typeof e.message === "string") return e.message;
  }
  return `request failed (${status})`;
}

/** Unwraps an openapi-fetch answer: the data, or an ApiError. */
export function unwrap<T>(r: { data?: T; error?: unknown; response: Response }): T {
  if (r.error !== undefined || !r.response.ok) {
    throw new ApiError(r.response.status, errorMessage(r.response.status, r.error));
  }
  return r.data as T;
}

/** A JSON request to a path of the server (`/api/v1/...`); 204 answers undefined. */
export async function request<T>(
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
  path: string,
  body?: unknown,
): Promise<T> {
  const init: RequestInit = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { "Content-Type": "application/json" };
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (!res.ok) throw new ApiError(res.status, errorMessage(res.status, parsed));
  return parsed as T;
}

/** The reader's language, which the server uses to pick names from language maps. */
export function userLang(): string | undefined {
  return navigator.language || undefined;
}
