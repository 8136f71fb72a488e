// What changed between two revisions of a workflow, in words: settings, triggers and goal as
// sentences, and actions matched by id (added, removed, changed, or leading elsewhere).

import {
  ACTION_TYPES,
  actionSummary,
  criteriaLine,
  eventSentence,
  reEnrollmentText,
  successors,
  typeLabel,
  windowsText,
} from "./labels.js";

function triggersText(context, definition) {
  const filters = criteriaLine(context, definition.enrollment?.filterGroups);
  const event = eventSentence(context, definition.enrollment?.event);
  const parts = [];
  if (filters) parts.push(filters);
  if (event) parts.push(`when it ${event}`);
  return parts.join("; or ") || "none (enrolled by hand only)";
}

function goalText(context, definition) {
  return criteriaLine(context, definition.goal?.filterGroups) || "none";
}

function leadsText(context, action) {
  return successors(context, action)
    .map((next) => {
      const where = next.to ? `action ${next.to}` : "the end";
      return next.label ? `${next.label} (${next.condition}): ${where}` : where;
    })
    .join("; ");
}

function actionName(action) {
  return `Action ${action.id} (${ACTION_TYPES[action.type] ?? action.type})`;
}

/**
 * The changes from revision `before` to revision `after`: [{what, before, after}] where a missing
 * `before` is an addition and a missing `after` a removal.
 */
export function diffDefinitions(context, before, after) {
  const changes = [];
  const compare = (what, a, b) => {
    if (a !== b) changes.push({ what, before: a, after: b });
  };
  compare("Name", before.name, after.name);
  compare("Object type", typeLabel(before.objectType), typeLabel(after.objectType));
  compare("Enrollment triggers", triggersText(context, before), triggersText(context, after));
  compare(
    "Re-enrollment",
    reEnrollmentText(context, before.enrollment?.reEnrollment),
    reEnrollmentText(context, after.enrollment?.reEnrollment),
  );
  compare(
    "Unenroll records that stop meeting the triggers",
    before.unenrollWhenCriteriaNotMet ? "yes" : "no",
    after.unenrollWhenCriteriaNotMet ? "yes" : "no",
  );
  compare("Goal", goalText(context, before), goalText(context, after));
  const listsText = (definition) => (definition.suppressionListIds || []).join(", ") || "none";
  compare("Suppression lists", listsText(before), listsText(after));
  compare("Time zone", before.timeZone, after.timeZone);
  compare("Time windows", windowsText(before.timeWindows), windowsText(after.timeWindows));
  const datesText = (definition) => (definition.pauseDates || []).join(", ") || "none";
  compare("Pause dates", datesText(before), datesText(after));
  compare("First action", before.startActionId ?? "none", after.startActionId ?? "none");

  const old = new Map((before.actions || []).map((action) => [action.id, action]));
  const now = new Map((after.actions || []).map((action) => [action.id, action]));
  for (const [id, action] of old) {
    if (!now.has(id)) {
      changes.push({ what: actionName(action), before: actionSummary(context, action), after: undefined });
    }
  }
  for (const [id, action] of now) {
    const was = old.get(id);
    if (!was) {
      changes.push({ what: actionName(action), before: undefined, after: actionSummary(context, action) });
      continue;
    }
    if (was.type !== action.type) {
      const typed = (item) => `${ACTION_TYPES[item.type] ?? item.type}: ${actionSummary(context, item)}`;
      compare(`Action ${id}`, typed(was), typed(action));
      continue;
    }
    compare(actionName(action), actionSummary(context, was), actionSummary(context, action));
    compare(`${actionName(action)}, goes to`, leadsText(context, was), leadsText(context, action));
    const sameSummary = actionSummary(context, was) === actionSummary(context, action);
    if (sameSummary && settings(was) !== settings(action)) {
      changes.push({ what: `${actionName(action)} settings`, before: settings(was), after: settings(action) });
    }
  }
  return changes;
}

/** An action's own fields (not where it leads) as JSON: changes the summary does not show. */
function settings(action) {
  const rest = Object.fromEntries(
    Object.entries(action).filter(([key]) => !["id", "next", "branches", "defaultNext"].includes(key)),
  );
  return JSON.stringify(rest);
}
