// A deterministic, seeded generator of xAPI statements for the end-to-end tests: several verbs
// with displays, activities with names and types, a few dozen actors, scores, success and
// completion, timestamps spread over the last 90 days and over weekdays and hours, a platform
// and a cohort (a context extension, `COHORT_EXT`) that follow the statement's index.

/** mulberry32: a small seeded PRNG, so every run writes the same statements. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The context extension every statement carries: `cohort-1`, `cohort-2` or `cohort-3`. */
export const COHORT_EXT = "https://lms.example.com/ext/cohort";

export const VERBS = [
  { id: "http://adlnet.gov/expapi/verbs/experienced", display: "experienced", weight: 5 },
  { id: "http://adlnet.gov/expapi/verbs/launched", display: "launched", weight: 3 },
  { id: "http://adlnet.gov/expapi/verbs/attempted", display: "attempted", weight: 2 },
  { id: "http://adlnet.gov/expapi/verbs/completed", display: "completed", weight: 2 },
  { id: "http://adlnet.gov/expapi/verbs/passed", display: "passed", weight: 1 },
  { id: "http://adlnet.gov/expapi/verbs/failed", display: "failed", weight: 1 },
];

const TYPES = {
  course: "http://adlnet.gov/expapi/activities/course",
  module: "http://adlnet.gov/expapi/activities/module",
  assessment: "http://adlnet.gov/expapi/activities/assessment",
};

export const ACTIVITIES = [
  { id: "https://lms.example.com/courses/safety", name: "Workplace Safety", type: TYPES.course },
  { id: "https://lms.example.com/courses/privacy", name: "Data Privacy Essentials", type: TYPES.course },
  { id: "https://lms.example.com/courses/leadership", name: "Leading Teams", type: TYPES.course },
  { id: "https://lms.example.com/modules/fire", name: "Fire Drill Basics", type: TYPES.module },
  { id: "https://lms.example.com/modules/gdpr", name: "GDPR in Practice", type: TYPES.module },
  { id: "https://lms.example.com/quiz/safety-final", name: "Safety Final Quiz", type: TYPES.assessment },
  { id: "https://lms.example.com/quiz/privacy-check", name: "Privacy Knowledge Check", type: TYPES.assessment },
];

const FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"];
const LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth"];

export const ACTORS = FIRST.flatMap((f, i) =>
  LAST.slice(0, 3 + (i % 4)).map((l) => ({
    name: `${f} ${l}`,
    mbox: `mailto:${f.toLowerCase()}.${l.toLowerCase()}@example.com`,
  })),
);

function pick<T extends { weight?: number }>(r: () => number, items: T[]): T {
  const total = items.reduce((s, i) => s + (i.weight ?? 1), 0);
  let x = r() * total;
  for (const i of items) {
    x -= i.weight ?? 1;
    if (x < 0) return i;
  }
  return items[items.length - 1]!;
}

/** `count` statements; `now` anchors the 90-day spread (timestamps are in the past). */
export function generateStatements(count: number, seed: number, now: Date): Record<string, unknown>[] {
  const r = rng(seed);
  const out: Record<string, unknown>[] = [];
  const dayMs = 86_400_000;
  for (let i = 0; i < count; i++) {
    const verb = pick(r, VERBS);
    const act = ACTIVITIES[Math.floor(r() * ACTIVITIES.length)]!;
    const actor = ACTORS[Math.floor(r() * r() * ACTORS.length)]!; // some people far more active
    // Working hours and weekdays more often than nights and weekends.
    let t = now.getTime() - Math.floor(r() * 90) * dayMs;
    const d = new Date(t);
    d.setUTCHours(r() < 0.8 ? 8 + Math.floor(r() * 10) : Math.floor(r() * 24), Math.floor(r() * 60), Math.floor(r() * 60), 0);
    if ((d.getUTCDay() === 0 || d.getUTCDay() === 6) && r() < 0.7) d.setUTCDate(d.getUTCDate() - 2);
    t = Math.min(d.getTime(), now.getTime() - 60_000);
    const stmt: Record<string, unknown> = {
      actor: { objectType: "Agent", name: actor.name, mbox: actor.mbox },
      verb: { id: verb.id, display: { "en-US": verb.display } },
      object: {
        objectType: "Activity",
        id: act.id,
        definition: { name: { "en-US": act.name }, type: act.type },
      },
      timestamp: new Date(t).toISOString(),
      // From the index, not the generator, so the other fields stay what they were.
      context: { platform: i % 2 ? "Moodle" : "Mobile app", extensions: { [COHORT_EXT]: `cohort-${(i % 3) + 1}` } },
    };
    const result: Record<string, unknown> = {};
    if (verb.display === "passed" || verb.display === "failed" || act.type === TYPES.assessment) {
      const scaled = Math.round((verb.display === "failed" ? r() * 0.6 : 0.4 + r() * 0.6) * 100) / 100;
      result.score = { scaled, raw: Math.round(scaled * 100), min: 0, max: 100 };
      result.success = verb.display !== "failed" && scaled >= 0.6;
    }
    if (verb.display === "completed") result.completion = true;
    if (Object.keys(result).length > 0) stmt.result = result;
    out.push(stmt);
  }
  return out;
}
