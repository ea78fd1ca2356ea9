import { escapeHtml as h } from '../shared/web-pages';
import type { CentreLanguage } from './centre-tokens';
import {
  BASIS_TEXT,
  CASE_STATUS_TEXT,
  CATEGORY_TEXT,
  KIND_TEXT,
  moment,
  OUTCOME_TEXT,
  retentionInWords,
  STATUS_TEXT,
  TEXT,
} from './centre-text';

export { escapeHtml as h } from '../shared/web-pages';

export type Section = 'home' | 'data' | 'access' | 'requests' | null;

export interface PageFrame {
  language: CentreLanguage;
  controllerName: string;
  /** The section shown (marks the navigation); null for pages outside a session. */
  section: Section;
  /** The CSRF token of the session (the sign-out form); absent outside a session. */
  csrf?: string;
  /** The path the language switch links to (without `?lang`). */
  path: string;
}

const SECTIONS: Array<{ id: Exclude<Section, null>; path: string; label: keyof typeof TEXT.en }> = [
  { id: 'home', path: '/privacy/home', label: 'navHome' },
  { id: 'data', path: '/privacy/data', label: 'navData' },
  { id: 'access', path: '/privacy/access', label: 'navAccess' },
  { id: 'requests', path: '/privacy/requests', label: 'navRequests' },
];

/** A table cell that names its column, shown as a label when a narrow screen stacks the table. */
const td = (label: string, content: string) => `<td data-label="${h(label)}">${content}</td>`;

const withLang = (path: string, language: CentreLanguage) => `${path}?lang=${language}`;

/** The page around every view: skip link, header, navigation, language switch, sign-out. */
export function layout(frame: PageFrame, title: string, main: string): string {
  const t = TEXT[frame.language];
  const nav =
    frame.section === null
      ? ''
      : `<nav aria-label="${h(t.nav)}"><ul class="nav">${SECTIONS.map(
          (s) =>
            `<li><a href="${h(withLang(s.path, frame.language))}"${
              s.id === frame.section ? ' aria-current="page"' : ''
            }>${h(t[s.label])}</a></li>`,
        ).join('')}</ul></nav>`;
  const other: CentreLanguage = frame.language === 'ru' ? 'en' : 'ru';
  // Outside a session (a refused link, signed out) there is no page to switch to: the language
  // came from the link, `?lang=` or the browser.
  const switcher =
    frame.section === null
      ? ''
      : `<p class="lang"><span class="visually-hidden">${h(t.language)}: </span><a href="${h(
          withLang(frame.path, other),
        )}" lang="${other}" hreflang="${other}">${other === 'ru' ? 'Русский' : 'English'}</a></p>`;
  const signOut =
    frame.csrf === undefined
      ? ''
      : `<form method="post" action="/privacy/sign-out" class="sign-out"><input type="hidden" name="csrf" value="${h(
          frame.csrf,
        )}"><button type="submit" class="secondary">${h(t.signOut)}</button></form>`;
  return `<!doctype html>
<html lang="${frame.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${h(title)} · ${h(t.centre)} · ${h(frame.controllerName)}</title>
<link rel="stylesheet" href="/privacy/assets/centre.css">
</head>
<body>
<a class="skip" href="#main">${h(t.skip)}</a>
<header class="top">
<div class="bar"><p class="brand">${h(frame.controllerName)} · ${h(t.centre)}</p>${switcher}</div>
${nav}
</header>
<main id="main" tabindex="-1">
<h1>${h(title)}</h1>
${main}
</main>
<footer>${signOut}</footer>
</body>
</html>`;
}

function note(text: string | undefined, kind: 'ok' | 'warn' = 'ok'): string {
  return text ? `<p class="note ${kind}" role="status">${h(text)}</p>` : '';
}

export interface PurposeCard {
  purposeId: string;
  title: string;
  description: string;
  legalBasis: string;
  dataCategories: string[];
  retention: string;
  recipients: string[];
  aiProcessing: boolean;
  /** From a purpose flag when one says so; otherwise not stated. */
  aiTraining: boolean | null;
  notice: { version: string; url: string } | null;
  status: string;
  /** A Global Privacy Control signal is present and covers this purpose. */
  gpcCovered: boolean;
}

/** "Is my data used to train AI?" for this customer (issue 17): the purposes that apply to them. */
export interface CentreAiAnswer {
  training: string[];
  analysis: string[];
}

function aiAnswer(language: PageFrame['language'], ai: CentreAiAnswer): string {
  const t = TEXT[language];
  const list = (titles: string[]) => `<ul>${titles.map((x) => `<li>${h(x)}</li>`).join('')}</ul>`;
  const training =
    ai.training.length > 0
      ? `<p><strong>${h(t.aiTrainingYes)}</strong></p>${list(ai.training)}<p>${h(t.aiTrainingWithdraw)}</p>`
      : `<p><strong>${h(t.aiTrainingNo)}</strong></p>`;
  const analysis =
    ai.analysis.length > 0
      ? `<p>${h(t.aiAnalysisYes)}</p>${list(ai.analysis)}`
      : `<p>${h(t.aiAnalysisNo)}</p>`;
  return `<section class="note info" id="ai-answer" aria-labelledby="ai-question">
<h2 id="ai-question">${h(t.aiQuestion)}</h2>
${training}
${analysis}
</section>`;
}

export function homePage(
  frame: PageFrame,
  cards: PurposeCard[],
  options: { gpc: boolean; flash?: string; error?: string; ai?: CentreAiAnswer },
): string {
  const { language } = frame;
  const t = TEXT[language];
  const yesNo = (v: boolean | null) => (v === null ? t.notStated : v ? t.aiYes : t.aiNo);
  const items = cards.map((card) => {
    const headingId = `purpose-${card.purposeId}`;
    const statusText = STATUS_TEXT[language][card.status] ?? card.status;
    let action = '';
    if (card.legalBasis !== 'consent') action = `<p class="hint">${h(t.noConsentNeeded)}</p>`;
    else if (card.status !== 'erased') {
      const granted = card.status === 'granted';
      if (!granted && card.gpcCovered) action = `<p class="hint">${h(t.gpcBlocks)}</p>`;
      else
        action = `<form method="post" action="/privacy/consents">
<input type="hidden" name="csrf" value="${h(frame.csrf)}">
<input type="hidden" name="lang" value="${language}">
<input type="hidden" name="purposeId" value="${h(card.purposeId)}">
<input type="hidden" name="noticeVersion" value="${h(card.notice?.version ?? '')}">
<input type="hidden" name="action" value="${granted ? 'revoke' : 'grant'}">
<button type="submit" class="${granted ? 'secondary' : 'primary'}" aria-describedby="${h(
          headingId,
        )}">${h(granted ? t.withdraw : t.give)}</button>
</form>`;
    }
    return `<li class="card" data-purpose="${h(card.purposeId)}">
<h2 id="${h(headingId)}">${h(card.title)}</h2>
<p>${h(card.description)}</p>
${
  card.legalBasis === 'consent'
    ? `<p class="status status-${h(card.status)}"><strong>${h(t.status)}:</strong> ${h(statusText)}</p>`
    : ''
}
<dl>
<div><dt>${h(t.basis)}</dt><dd>${h(BASIS_TEXT[language][card.legalBasis] ?? card.legalBasis)}</dd></div>
<div><dt>${h(t.categories)}</dt><dd>${h(
      card.dataCategories.map((c) => CATEGORY_TEXT[language][c] ?? c).join(', '),
    )}</dd></div>
<div><dt>${h(t.kept)}</dt><dd>${h(retentionInWords(language, card.retention))}</dd></div>
<div><dt>${h(t.recipients)}</dt><dd>${h(
      card.recipients.length > 0 ? card.recipients.join(', ') : t.onlyUs,
    )}</dd></div>
<div><dt>${h(t.ai)}</dt><dd>${h(yesNo(card.aiProcessing))}</dd></div>
<div><dt>${h(t.aiTraining)}</dt><dd>${h(yesNo(card.aiTraining))}</dd></div>
</dl>
${
  card.notice
    ? `<p><a href="${h(card.notice.url)}" rel="noopener noreferrer">${h(t.notice)}</a> (${h(
        t.noticeVersion,
      )} ${h(card.notice.version)})</p>`
    : ''
}
${action}
</li>`;
  });
  return layout(
    frame,
    t.homeTitle,
    `${note(options.flash)}${note(options.error, 'warn')}
<p class="lead">${h(t.homeIntro)}</p>
${options.gpc ? `<p class="note info">${h(t.gpcOn)}</p>` : ''}
${options.ai ? aiAnswer(language, options.ai) : ''}
${items.length > 0 ? `<ul class="cards">${items.join('\n')}</ul>` : `<p>${h(t.noPurposes)}</p>`}`,
  );
}

/** A readable page of the subject-access bundle. */
export function dataPage(frame: PageFrame, bundle: SubjectBundle): string {
  const { language } = frame;
  const t = TEXT[language];
  const profile = Object.entries(bundle.profile)
    .map(
      ([name, field]) =>
        `<tr><th scope="row">${h(name)}</th>${td(t.value, h(field.value))}${td(
          t.categories,
          h(CATEGORY_TEXT[language][field.category] ?? field.category),
        )}</tr>`,
    )
    .join('');
  const consents = bundle.consents.current
    .map(
      (c) =>
        `<tr><th scope="row">${h(c.purposeId)}</th>${td(
          t.status,
          h(STATUS_TEXT[language][c.status] ?? c.status),
        )}${td(t.since, c.since ? h(moment(language, c.since)) : '—')}</tr>`,
    )
    .join('');
  return layout(
    frame,
    t.dataTitle,
    `<p class="lead">${h(t.dataIntro)}</p>
<p><a class="button" href="/privacy/data.json" download="my-data.json">${h(t.downloadJson)}</a></p>
<h2>${h(t.profile)}</h2>
<div class="table"><table><thead><tr><th scope="col">${h(t.field)}</th><th scope="col">${h(
      t.value,
    )}</th><th scope="col">${h(t.categories)}</th></tr></thead><tbody>${profile}</tbody></table></div>
<h2>${h(t.consents)}</h2>
<div class="table"><table><thead><tr><th scope="col">${h(t.purpose)}</th><th scope="col">${h(
      t.status,
    )}</th><th scope="col">${h(t.since)}</th></tr></thead><tbody>${consents}</tbody></table></div>
<p><a href="${h(withLang('/privacy/access', language))}">${h(t.navAccess)}</a></p>`,
  );
}

export interface SubjectBundle {
  profile: Record<string, { value: string; category: string }>;
  consents: { current: Array<{ purposeId: string; status: string; since: string | null }> };
  accessLog: CentreAccessEntry[];
}

/** One line of the access list as the customer sees it: no employee ids. */
export interface CentreAccessEntry {
  at: string;
  outcome: string;
  role: string;
  purposeId: string;
  via?: string;
  fields?: Array<{ name: string }>;
}

export function accessPage(frame: PageFrame, entries: CentreAccessEntry[]): string {
  const { language } = frame;
  const t = TEXT[language];
  const rows = [...entries]
    .sort((a, b) => b.at.localeCompare(a.at))
    .map(
      (e) =>
        `<tr>${td(t.when, h(moment(language, e.at)))}${td(t.role, h(e.role))}${td(
          t.why,
          h(e.purposeId),
        )}${td(
          t.outcome,
          `${h(OUTCOME_TEXT[language][e.outcome] ?? e.outcome)}${e.via ? ` (${h(e.via)})` : ''}`,
        )}${td(t.fields, h((e.fields ?? []).map((f) => f.name).join(', ')))}</tr>`,
    )
    .join('');
  return layout(
    frame,
    t.accessTitle,
    `<p class="lead">${h(t.accessIntro)}</p>
${
  rows
    ? `<div class="table"><table><thead><tr><th scope="col">${h(t.when)}</th><th scope="col">${h(
        t.role,
      )}</th><th scope="col">${h(t.why)}</th><th scope="col">${h(t.outcome)}</th><th scope="col">${h(
        t.fields,
      )}</th></tr></thead><tbody>${rows}</tbody></table></div>`
    : `<p>${h(t.noAccess)}</p>`
}`,
  );
}

export interface CentreCase {
  requestId: string;
  kind: string;
  status: string;
  receivedAt: string;
  dueAt: string;
}

/** The kinds a customer may ask for here (withdrawal is the consent toggle itself). */
export const CENTRE_REQUEST_KINDS = ['erasure', 'rectification', 'restriction', 'access'] as const;

export function requestsPage(
  frame: PageFrame,
  cases: CentreCase[],
  options: { flash?: string },
): string {
  const { language } = frame;
  const t = TEXT[language];
  const labels: Record<(typeof CENTRE_REQUEST_KINDS)[number], string> = {
    erasure: t.askErasure,
    rectification: t.askRectification,
    restriction: t.askRestriction,
    access: t.askAccess,
  };
  const choices = CENTRE_REQUEST_KINDS.map(
    (kind, i) =>
      `<div class="choice"><input type="radio" name="kind" id="kind-${kind}" value="${kind}"${
        i === 0 ? ' checked' : ''
      }><label for="kind-${kind}">${h(labels[kind])}</label></div>`,
  ).join('');
  const rows = cases
    .map(
      (c) =>
        `<tr data-request="${h(c.requestId)}">${td(
          t.kind,
          h(KIND_TEXT[language][c.kind] ?? c.kind),
        )}${td(t.status, h(CASE_STATUS_TEXT[language][c.status] ?? c.status))}${td(
          t.received,
          h(moment(language, c.receivedAt)),
        )}${td(t.due, h(moment(language, c.dueAt)))}${td('№', `<code>${h(c.requestId.slice(0, 8))}</code>`)}</tr>`,
    )
    .join('');
  return layout(
    frame,
    t.requestsTitle,
    `${note(options.flash)}
<p class="lead">${h(t.requestsIntro)}</p>
<form method="post" action="/privacy/requests">
<input type="hidden" name="csrf" value="${h(frame.csrf)}">
<input type="hidden" name="lang" value="${language}">
<fieldset><legend>${h(t.kind)}</legend>${choices}</fieldset>
<button type="submit" class="primary">${h(t.send)}</button>
</form>
<h2>${h(t.yourRequests)}</h2>
${
  rows
    ? `<div class="table"><table><thead><tr><th scope="col">${h(t.kind)}</th><th scope="col">${h(
        t.status,
      )}</th><th scope="col">${h(t.received)}</th><th scope="col">${h(
        t.due,
      )}</th><th scope="col">№</th></tr></thead><tbody>${rows}</tbody></table></div>`
    : `<p>${h(t.noRequests)}</p>`
}`,
  );
}

/** A page for a refusal: a title, what happened and what to do; never a stack trace. */
export function messagePage(
  frame: PageFrame,
  title: string,
  text: string,
  details: Array<{ field: string; problem: string }> = [],
  back = false,
): string {
  const t = TEXT[frame.language];
  const list =
    details.length > 0
      ? `<ul class="problems">${details
          .map((d) => `<li><code>${h(d.field)}</code>: ${h(d.problem)}</li>`)
          .join('')}</ul>`
      : '';
  return layout(
    frame,
    title,
    `<p class="lead">${h(text)}</p>${list}${
      back
        ? `<p><a href="${h(withLang('/privacy/home', frame.language))}">${h(t.back)}</a></p>`
        : ''
    }`,
  );
}
