// Admin > instance settings: a select of the connections' models, for a job one of them may
// do (embedding files, reranking passages). A preset is a prompt around a model, and the
// local model is a chat model, so neither is offered.
import type { Model } from '../api/types';

export interface ModelChoice {
  value: string;
  label: string;
}

/** The select's options: `none` (value '') first, then every connection's models, and the
 * current choice even when its connection does not list it now. */
export function modelChoices(models: Model[], current: string, none: string): ModelChoice[] {
  const choices: ModelChoice[] = [{ value: '', label: none }];
  for (const model of models) {
    if (model.source.type !== 'connection') continue;
    const where = model.source.connection_name;
    choices.push({ value: model.id, label: where ? `${model.name} — ${where}` : model.name });
  }
  if (current && !choices.some((choice) => choice.value === current)) {
    choices.push({ value: current, label: `${current} (not available now)` });
  }
  return choices;
}
