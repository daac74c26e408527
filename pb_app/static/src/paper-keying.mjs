// The paper keying page: as the clerk types project numbers ("3 7 12", or "3=5 7=2" for
// points and scores), say at once which projects they are, or what is wrong with them,
// against the numbered list and the round's limits. The server checks every sheet again
// (pb_app/paper/entry.py); the page works the same without this script.
import { pounds } from "./ballot-total.mjs";

// The words that set a sheet aside, as pb_app/paper/entry.py reads them.
const SET_ASIDE = { blank: "blank", spoilt: "spoilt", spoiled: "spoilt" };

/** What the typed text means, in words: the projects it names, a sheet set aside, or the
 * first problem. */
export function checkTyped(text, ballot) {
  const setAside = SET_ASIDE[text.trim().toLowerCase()];
  if (setAside) {
    return { ok: true, words: `Set aside as ${setAside}: it counts on the batch, not as a vote.` };
  }
  const items = text.replace(/,/g, " ").split(/\s+/).filter(Boolean);
  if (items.length === 0) {
    return { ok: false, words: "" };
  }
  const usesPoints = ballot.type === "cumulative" || ballot.type === "scoring";
  const chosen = [];
  for (const item of items) {
    const [number, value] = usesPoints ? item.split("=") : [item, undefined];
    const index = /^\d{1,6}$/.test(number) ? Number(number) : 0;
    if (index < 1 || index > ballot.titles.length) {
      return { ok: false, words: `'${number}' is not a project number: the projects are numbered 1 to ${ballot.titles.length}.` };
    }
    if (usesPoints && !/^\d{1,9}$/.test(value ?? "")) {
      return { ok: false, words: `'${item}' needs a project number and its points, such as 3=5.` };
    }
    if (chosen.some((other) => other.index === index)) {
      return { ok: false, words: `Project ${index} is typed more than once.` };
    }
    chosen.push({ index, value: Number(value ?? 0) });
  }
  const problem = overLimit(chosen, ballot);
  if (problem) {
    return { ok: false, words: problem };
  }
  return {
    ok: true,
    words: chosen.map(({ index, value }) =>
      `${index} ${ballot.titles[index - 1]}${usesPoints ? ` (${value})` : ""}`).join("; "),
  };
}

/** The round's limit the choices break, in words, or "" when they keep to it. */
function overLimit(chosen, ballot) {
  const most = ballot.most;
  if (ballot.type === "approval" || ballot.type === "ordinal") {
    return chosen.length > most ? `Up to ${most} projects on this ballot; ${chosen.length} typed.` : "";
  }
  if (ballot.type === "knapsack") {
    const cost = chosen.reduce((sum, { index }) => sum + ballot.costs[index - 1], 0);
    return cost > most ? `These cost ${pounds(cost)}, more than the budget of ${pounds(most)}.` : "";
  }
  if (ballot.type === "cumulative") {
    const used = chosen.reduce((sum, { value }) => sum + value, 0);
    return used > most ? `${used} points typed; there are ${most} to spread.` : "";
  }
  const high = chosen.find(({ value }) => value > ballot.maxScore);
  return high ? `Scores go from 0 to ${ballot.maxScore}; project ${high.index} has ${high.value}.` : "";
}

/** Check the project numbers of every keying form ([data-paper-keying]) as they are typed. */
export function startPaperKeying(root = document) {
  for (const form of root.querySelectorAll("form[data-paper-keying]")) {
    const input = form.querySelector('input[name="projects"]');
    const message = form.querySelector("#projects-check");
    const ballot = {
      type: form.dataset.ballotType,
      most: Number(form.dataset.most),
      maxScore: Number(form.dataset.maxScore),
      costs: form.dataset.costs.split(",").map(Number),
      titles: [...root.querySelectorAll("[data-project-number]")].map(
        (item) => item.textContent.trim().replace(/^\d+\s+/, "")),
    };
    const update = () => {
      const { ok, words } = checkTyped(input.value, ballot);
      message.hidden = words === "";
      message.classList.toggle("govuk-error-message", !ok);
      if (message.textContent !== words) {
        message.textContent = words;
      }
    };
    input.addEventListener("input", update);
    update(); // what the clerk typed before this script started
  }
}

startPaperKeying();
