// The running total of a ballot page ("3 of 4 chosen", "£41,200 of £60,000 spent", "7 of 10
// points used"), kept up to date as the voter chooses and announced politely to screen readers
// (the element is an aria-live region). It words the total as the review page does
// (total_in_words in pb_app/voting/ballots.py). Without JavaScript the element stays hidden and
// the review page shows the total.

/** Pence as pounds, as the server shows them: 4120000 -> "£41,200", 125050 -> "£1,250.50". */
export function pounds(pence) {
  const whole = Math.floor(pence / 100);
  const rest = pence % 100;
  const text = `£${whole.toLocaleString("en-GB")}`;
  return rest === 0 ? text : `${text}.${String(rest).padStart(2, "0")}`;
}

/** The total in words for a ballot type, the amount used and its limit. */
export function totalInWords(type, used, limit) {
  const over = used - limit;
  if (type === "knapsack") {
    const words = `${pounds(used)} of ${pounds(limit)} spent`;
    return over > 0 ? `${words}, ${pounds(over)} over budget` : words;
  }
  const number = (value) => value.toLocaleString("en-GB");
  const words = type === "cumulative"
    ? `${number(used)} of ${number(limit)} ${limit === 1 ? "point" : "points"} used`
    : `${number(used)} of ${number(limit)} chosen`;
  return over > 0 ? `${words}, ${number(over)} too many` : words;
}

/** What the form's choices use: projects ticked, their cost in pence, or points given. */
function usedBy(form, type) {
  if (type === "cumulative") {
    return [...form.querySelectorAll('input[name^="points-"]')]
      .map((input) => input.value.trim())
      .filter((value) => /^\d+$/.test(value))
      .reduce((sum, value) => sum + Number.parseInt(value, 10), 0);
  }
  const ticked = [...form.querySelectorAll('input[name="project"]:checked')];
  if (type === "knapsack") {
    return ticked.reduce((sum, input) => sum + Number(input.dataset.costPence), 0);
  }
  return ticked.length;
}

/** Show and keep up to date every running total ([data-ballot-total]) under ``root``. */
export function startBallotTotals(root = document) {
  for (const total of root.querySelectorAll("[data-ballot-total]")) {
    const form = total.closest("form");
    const type = total.dataset.ballotTotal;
    const limit = Number(total.dataset.limit);
    const update = () => {
      const text = totalInWords(type, usedBy(form, type), limit);
      if (total.textContent !== text) {
        total.textContent = text; // a change only, so screen readers hear nothing twice
      }
    };
    update();
    total.hidden = false;
    form.addEventListener("input", update);
    form.addEventListener("change", update);
  }
}
