import type { FieldSpec } from './extraction.js';
import { labelHits, matchesIn, type Candidate } from './labels.js';
import { height, spanText, type Layout, type Row, type Span } from './layout.js';
import { DATE_SEARCH, MONEY_SEARCH, parseMoney } from './normalise.js';

/** Words that end a business's name in many countries. */
const BUSINESS =
  /\b(sdn\.?\s*bhd|bhd|berhad|enterprise|trading|restaurant|restoran|ltd|limited|inc|llc|gmbh|plc|corp(oration)?|company|co\.|store|mart|shop|cafe|café|bakery|hardware|pharmacy|supermarket|hypermarket|kedai|industries|services|station|cent(re|er)|\(m\)|s\/b|plt|llp)(?![\p{L}])/iu;
/** Legal forms: a name's last words; a name row without one may continue on the next row. */
const LEGAL = /(sdn\.?\s*bhd|\bbhd|berhad|\bs\/b\b|\bltd|limited|\binc\b|\bllc|gmbh|\bplc|\bplt\b|\bllp\b)/i;
/** A registration number printed after a name: "(126926-H)", "273500-U", "(SA0264195-T)". */
const REGISTRATION = /\s*(\(?\b[A-Z]{0,3}\d{4,}[\s-]?[A-Z]?\)?|\([^()]*\d{4,}[^()]*\))[^\p{L}\p{N}]*$/u;

/** Rows that are not a name: contact details, document titles, registration numbers. */
const NOT_A_NAME =
  /\b(tel|phone|fax|gst|reg|roc|co\.?\s*no|company\s*no|receipt|invoice|cashier|date|time|table|www|http|email|e-mail|tax|h\/p|mobile|website|bill|order|welcome|thank)\b|@/i;
/** Words of a receipt's body, not of a name, unless the row has a business word ("CASH & CARRY SDN BHD"). */
const BODY_WORDS = /\b(cash|change|total|qty|item|price|amount|description|member|counter|terminal|pos)\b/i;
/**
 * Words of street addresses, English and Malay (the SROIE receipts the rules
 * were developed on are Malaysian), and a five-digit postcode. Other countries'
 * words would go here.
 */
const ADDRESS_WORDS = /\b(jalan|jln|road|rd|street|st|lorong|taman|avenue|ave|blvd|lot|no\.?\s*\d|floor|level|block|blk|suite|unit|kg|kampung|bandar|batu|persiaran|lebuh|\d{5})\b/i;
/** Where the address block stops: contact details, tax ids, the document's own headings. */
const AFTER_ADDRESS =
  /\b(tel|tei|fax|gst|tax|invoice|receipt|date|cashier|email|e-mail|www|h\/p|hp|mobile|website|(co|company|roc|reg|registration)\.?\s*no|doc|bill|table|time|number)\b|telephone|phone|taxinvoice|\bw{2,3}\.|@/i;

/** A money field that is the document's total: one whose labels include "total". */
export function isTotalField(spec: FieldSpec): boolean {
  return spec.labels.includes('total');
}

function letters(text: string): number {
  return (text.match(/\p{L}/gu) ?? []).length;
}

function digits(text: string): number {
  return (text.match(/\d/g) ?? []).length;
}

/** A row that could hold a business name: mostly letters, no contact or document words, not an address. */
function nameLike(t: string): boolean {
  return !BODY_WORDS.test(t) && letters(t) >= 3 && digits(t) <= 0.25 * t.replace(/\s/g, '').length && !NOT_A_NAME.test(t) && !ADDRESS_WORDS.test(t);
}

/**
 * The vendor: among the top rows of the first page, above the address, the one
 * that reads most like a business's name (a business word, an address right
 * under it, capitals, a large font, near the top). A name printed over two or
 * three rows is joined up.
 */
function vendorSpans(layout: Layout): Span[] {
  const rows = layout.rows[0] ?? [];
  if (rows.length === 0) return [];
  const typical = median(rows.map((r) => height(r.bbox)));
  const { top, bottom } = extent(rows);
  let best: { row: Row; score: number } | undefined;
  for (const row of rows.slice(0, 12)) {
    if (row.bbox.y0 > top + 0.4 * (bottom - top)) break;
    const text = withoutRegistration(row.text);
    // The name comes before the address.
    if (ADDRESS_WORDS.test(text)) {
      if (best) break;
      continue;
    }
    const business = BUSINESS.test(text);
    if (!business && !nameLike(text)) continue;
    if (business && (NOT_A_NAME.test(text) || digits(text) > 6)) continue;
    const capitals = (text.match(/\p{Lu}/gu) ?? []).length / Math.max(1, letters(text));
    const addressBelow = rows.slice(row.index + 1, row.index + 3).some((r) => ADDRESS_WORDS.test(withoutRegistration(r.text)));
    const score = (business ? 5 : 0) + (addressBelow ? 2 : 0) + capitals + Math.min(2, height(row.bbox) / typical) - row.index * 0.4;
    if (!best || score > best.score) best = { row, score };
  }
  if (!best) return [];
  const adjacent = (a: Row, b: Row) => b.bbox.y0 - a.bbox.y1 < 0.8 * height(a.bbox);
  const continues = (a: Row, b: Row | undefined): b is Row =>
    b !== undefined && adjacent(a, b) && !NOT_A_NAME.test(b.text) && !ADDRESS_WORDS.test(withoutRegistration(b.text));
  // A long name printed on two rows: "LIAN CHI PU TIAN VEGETARIAN" over "RESTAURANT SDN BHD".
  const above = rows[best.row.index - 1];
  if (above && continues(above, best.row) && onlyBusinessWords(withoutRegistration(best.row.text)) && nameLike(withoutRegistration(above.text))) {
    return [nameSpan(above), nameSpan(best.row)];
  }
  // Or up to three: "AIK HUAT HARDWARE" / "ENTERPRISE (SETIA" / "ALAM) SDN BHD", ending with a legal form.
  if (!LEGAL.test(best.row.text)) {
    const name = [best.row];
    for (let next = rows[best.row.index + 1]; name.length < 3 && continues(name.at(-1)!, next); next = rows[next.index + 1]) {
      name.push(next);
      if (LEGAL.test(next.text)) return name.map(nameSpan);
    }
  }
  return [nameSpan(best.row)];
}

/** "RESTAURANT SDN BHD", "CO. (M) SDN BHD": business words only, the end of a name begun on the row above. */
function onlyBusinessWords(text: string): boolean {
  return letters(text.replace(new RegExp(BUSINESS.source, 'giu'), '')) <= 2;
}

function withoutRegistration(text: string): string {
  return text.replace(REGISTRATION, '');
}

/** A row without a registration number at its end, nor specks and symbols OCR read at its edges. */
function nameSpan(row: Row): Span {
  let kept = withoutRegistration(row.text).length;
  // A name ends with its legal form; digits after it are a registration number, however OCR printed it.
  const legal = [...row.text.matchAll(new RegExp(LEGAL.source, 'gi'))].at(-1);
  if (legal && /\d/.test(row.text.slice(legal.index + legal[0].length))) kept = Math.min(kept, legal.index + legal[0].length);
  // In a name in capitals, a short lower-case word at either end is a speck OCR read as letters ("Lo", "‘s").
  const capitals = (row.text.match(/\p{Lu}/gu) ?? []).length > 0.8 * letters(row.text);
  const noise = (i: number) => {
    const word = row.words[i].text;
    return !/[\p{L}\p{N}]/u.test(word) || /^[#©|]/.test(word) || (capitals && word.length <= 3 && /\p{Ll}/u.test(word));
  };
  let to = row.words.length;
  while (to > 1 && (row.starts[to - 1] >= kept || noise(to - 1))) to--;
  let from = 0;
  while (from < to - 1 && noise(from)) from++;
  return { row, from, to };
}

/** Top and bottom of the text on a page: receipts are often photographed with a margin of table or floor. */
function extent(rows: Row[]): { top: number; bottom: number } {
  return { top: Math.min(...rows.map((r) => r.bbox.y0)), bottom: Math.max(...rows.map((r) => r.bbox.y1)) };
}

/** The vendor as a candidate value. */
export function vendorCandidate(layout: Layout): Candidate | undefined {
  const spans = vendorSpans(layout);
  return spans.length === 0 ? undefined : { spans, raw: spans.map(spanText).join(' '), score: 0, certainty: 0.7 };
}

/**
 * The vendor's address: the rows under its name, past registration numbers and
 * branch names, up to the first row of contact details, tax ids or document
 * headings; a phone number at the end of its last row is left out.
 */
export function addressCandidate(layout: Layout): Candidate | undefined {
  const vendor = vendorSpans(layout).at(-1);
  if (!vendor) return undefined;
  const rows = layout.rows[vendor.row.page - 1];
  const spans: Span[] = [];
  let previous = vendor.row;
  for (const row of rows.slice(vendor.row.index + 1, vendor.row.index + 9)) {
    if (row.bbox.y0 - previous.bbox.y1 > 2 * height(previous.bbox)) break;
    previous = row;
    const text = withoutRegistration(row.text);
    // Between the name and the address: registration numbers, a date, a branch's name.
    const preamble = REGISTRATION_ROW.test(text) || new RegExp(DATE_SEARCH.source, 'i').test(text) || digits(text) < 2 || letters(text) < 6;
    if (spans.length === 0 && !ADDRESS_WORDS.test(text) && preamble) continue;
    // A label ("T:", "Site:") starts what follows the address, unless it is the address's own ("No:", "Lot:").
    const labelWord = (t: string) => /\p{L}:$/u.test(t) && !/^(no|lot|unit|blk|block)\W*$/i.test(t);
    const contact = row.words.findIndex((w) => AFTER_ADDRESS.test(w.text) || PHONE.test(w.text) || labelWord(w.text));
    if (contact === 0 || AFTER_ADDRESS.test(row.text.slice(0, row.starts[contact] ?? row.text.length))) break;
    const end = row.text.replace(/\s*\([A-Z]{0,3}\d{4,}-?[A-Z]?\)\W*$/, '').length;
    let to = contact < 0 ? row.words.length : contact;
    while (to > 1 && row.starts[to - 1] >= end) to--;
    spans.push({ row, from: 0, to });
    if (contact > 0 || spans.length === 5) break;
  }
  if (spans.length === 0) return undefined;
  return { spans, raw: spans.map(spanText).join(' '), score: 0, certainty: 0.6 };
}

const REGISTRATION_ROW = /\b(co|company|roc|reg|registration|gst|site|brn|business)\b.*(no|#|:)/i;
/** A phone number's first part: "07-355", "+603-9130", "(03)". */
const PHONE = /^(\+?\d{2,4}-\d{3,}|\(0\d{1,2}\)|0\d{1,2}-$)/;

/** A total row's label that names another amount: subtotal, quantity, tax, rounding, money tendered. */
const NOT_THE_TOTAL =
  /sub[\s-]*total|total\s*(qty|quantity|items?|pcs|disc|discount|savings?|before)|\bexcl|\(ex\)|\bex[\s.]*(gst|tax|vat)|(?<!after\s)rounding|round\s*adj|\bchange\b|\bcash\b|tender|total\s*paid|\bdue\s*date/i;
const TAX = /\b(tax|gst|vat|sst)\b/i;
const ROUNDING_ROW = /round(ing)?\s*(adj|:)/i;
const INCLUDING = /\bincl|\binc\b|inclusive|after|\bwith\b/i;

/**
 * Total candidates: an amount after a total label (same row, or alone on the
 * row below), scored by how specific the label is ("total rounded", "grand
 * total"), then the largest such amount, then lower on the page. None below
 * the largest subtotal. With no labelled total, the subtotal, else the largest
 * amount in the lower part of the page, with little confidence.
 */
export function totalCandidates(spec: FieldSpec, layout: Layout): Candidate[] {
  const out: Candidate[] = [];
  let floor = 0;
  const unlabelled: Candidate[] = [];
  const subtotals: Candidate[] = [];
  for (const [p, rows] of layout.rows.entries()) {
    if (rows.length === 0) continue;
    const { top, bottom } = extent(rows);
    let afterRounding = false;
    for (const row of rows) {
      const amounts = matchesIn(row, MONEY_SEARCH);
      if (/sub[\s-]*total/i.test(row.text) && amounts.length > 0) {
        floor = Math.max(floor, amountOf(amounts[0].raw));
        subtotals.push({ spans: [amounts[0].span], raw: amounts[0].raw, score: 1 + row.index * 0.01, certainty: 0.5 });
      }
      const hits = labelHits(row, spec.labels).sort((a, b) => a.start - b.start);
      const y = (row.bbox.y0 - top) / Math.max(1, bottom - top);
      if (ROUNDING_ROW.test(row.text)) afterRounding = true;
      if (hits.length === 0) {
        if (y > 0.3 && !/\b(cash|change|tender|paid)\b/i.test(row.text)) {
          for (const a of amounts) unlabelled.push({ spans: [a.span], raw: a.raw, score: amountOf(a.raw) / 1e6, certainty: 0.4 });
        }
        continue;
      }
      // A row may hold two label-amount pairs side by side: "Total Saving 0.00   Total 77.20".
      for (const hit of hits) {
        const amountIndex = amounts.findIndex((a) => a.start >= hit.end);
        let amount = amounts[amountIndex];
        const before = amounts.filter((a) => a.start < hit.start).at(-1);
        const labelText = row.text.slice(before ? before.start + before.raw.length : 0, amount?.start ?? row.text.length);
        if (NOT_THE_TOTAL.test(labelText) || (TAX.test(labelText) && !INCLUDING.test(labelText))) continue;
        const next = rows[row.index + 1];
        if (!amount && next && next.bbox.y0 - row.bbox.y1 < height(row.bbox) && amountOnly(next)) amount = matchesIn(next, MONEY_SEARCH)[0];
        if (!amount) continue;
        // A total printed after the rounding adjustment is the final one.
        const score = hit.strength * 10 + (INCLUDING.test(labelText) ? 2 : 0) + (afterRounding ? AFTER_ROUNDING : 0) + y * 2 - p * 100;
        out.push({ spans: [amount.span], raw: amount.raw, score, certainty: 0.95 });
      }
    }
  }
  // A total below the subtotal is usually a tax or count line, unless its label says grand total (after a discount).
  const plausible = out.filter((c) => amountOf(c.raw) >= floor || c.score >= 20);
  const largest = Math.max(...plausible.map((c) => amountOf(c.raw)));
  for (const c of plausible) if (amountOf(c.raw) === largest) c.score += LARGEST;
  // No total could be read: the subtotal is the best guess (equal when there is no tax), then the largest amount.
  if (plausible.length === 0) return [...subtotals, ...unlabelled];
  return [...plausible, ...rounded(plausible, layout)];
}

/**
 * Cash totals rounded to 5 cents: "TOTAL 60.31", "ROUNDING ADJ -0.01", then the
 * amount paid, 60.30, often without a label of its own. That amount, printed
 * after the rounding row, is the total.
 */
function rounded(candidates: Candidate[], layout: Layout): Candidate[] {
  const best = candidates.reduce((a, b) => (b.score > a.score ? b : a));
  const total = amountOf(best.raw);
  const rows = layout.rows[best.spans[0].row.page - 1];
  const rounding = rows.find((r) => ROUNDING_ROW.test(r.text) && matchesIn(r, MONEY_SEARCH).length > 0);
  if (!rounding) return [];
  const adjustment = Math.abs(amountOf(matchesIn(rounding, MONEY_SEARCH).at(-1)!.raw));
  if (adjustment === 0 || adjustment >= 0.1) return [];
  for (const row of rows.slice(rounding.index + 1, rounding.index + 4)) {
    const paid = matchesIn(row, MONEY_SEARCH).find((a) => Math.abs(Math.abs(amountOf(a.raw) - total) - adjustment) < 0.001);
    if (paid) return [{ spans: [paid.span], raw: paid.raw, score: best.score + 1, certainty: 0.9 }];
  }
  return [];
}

/** Score bonuses: a total after the rounding row, the largest of the totals (measured on SROIE training receipts: 2 to 6 changed little). */
const AFTER_ROUNDING = 4;
const LARGEST = 3;

/** A row with an amount and nothing else but punctuation: the value of the label above it. */
function amountOnly(row: Row): boolean {
  return letters(row.text.replace(new RegExp(MONEY_SEARCH.source, 'gi'), '')) <= 1;
}

function amountOf(raw: string): number {
  const money = parseMoney(raw);
  return money ? Number(money.value) : 0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 1 : s[Math.floor(s.length / 2)] || 1;
}
