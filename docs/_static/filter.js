// Filter a table as one types: rows whose text contains every word of the box stay visible.
document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll("input[data-table]")) {
    const rows = Array.from(document.getElementById(box.dataset.table).tBodies[0].rows);
    const texts = rows.map((r) => r.textContent.normalize("NFKC").toLowerCase());
    const count = document.getElementById(box.dataset.count);
    box.addEventListener("input", () => {
      const words = box.value.normalize("NFKC").toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      rows.forEach((row, i) => {
        const keep = words.every((w) => texts[i].includes(w));
        row.hidden = !keep;
        shown += keep;
      });
      if (count) count.textContent = shown;
    });
  }
});
