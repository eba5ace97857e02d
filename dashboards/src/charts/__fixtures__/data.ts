/** Realistic widget data for the builders' tests: xAPI verbs, activities and learners. */
import type { AggregateData, AggregateQuery, WidgetSpec } from '../types';

export const V = {
  completed: 'http://adlnet.gov/expapi/verbs/completed',
  passed: 'http://adlnet.gov/expapi/verbs/passed',
  failed: 'http://adlnet.gov/expapi/verbs/failed',
  launched: 'http://adlnet.gov/expapi/verbs/launched',
  answered: 'http://adlnet.gov/expapi/verbs/answered',
};

export const A = {
  intro: 'https://lms.example.com/courses/safety/intro',
  quiz: 'https://lms.example.com/courses/safety/quiz-1',
  final: 'https://lms.example.com/courses/safety/final-exam',
};

export const NAMES: Record<string, string> = {
  [V.completed]: 'completed',
  [V.passed]: 'passed',
  [V.failed]: 'failed',
  [V.launched]: 'launched',
  [A.intro]: 'Introduction to site safety',
  [A.quiz]: 'Quiz 1: hazards',
  [A.final]: 'Final exam',
};

export function agg(query: Omit<AggregateQuery, 'kind'>): AggregateQuery {
  return { kind: 'aggregate', ...query };
}

export function spec(type: WidgetSpec['type'], query: WidgetSpec['query'], options: unknown = {}): WidgetSpec {
  return { type, title: 'A widget', description: '', query, options };
}

/** Statements per verb (answered has no name: its IRI's last segment is shown). */
export const byVerb: AggregateData = {
  kind: 'aggregate',
  source: 'aggregate',
  names: NAMES,
  rows: [
    { keys: [V.launched], values: [412] },
    { keys: [V.completed], values: [230] },
    { keys: [V.answered], values: [1208] },
    { keys: [V.passed], values: [190] },
  ],
};

/** Statements per day and verb, with 2026-11-03 missing entirely and passed missing on 11-02. */
export const byDayVerb: AggregateData = {
  kind: 'aggregate',
  source: 'aggregate',
  names: NAMES,
  rows: [
    { keys: ['2026-11-01', V.completed], values: [12] },
    { keys: ['2026-11-01', V.passed], values: [9] },
    { keys: ['2026-11-02', V.completed], values: [15] },
    { keys: ['2026-11-04', V.completed], values: [20] },
    { keys: ['2026-11-04', V.passed], values: [14] },
  ],
};
