import type { CentreLanguage } from './centre-tokens';

/** Every sentence the centre shows, in Russian and English. */
export const TEXT = {
  ru: {
    centre: 'Центр конфиденциальности',
    skip: 'Перейти к содержанию',
    nav: 'Разделы',
    navHome: 'Ваши согласия',
    navData: 'Ваши данные',
    navAccess: 'Кто видел ваши данные',
    navRequests: 'Запросы',
    language: 'Язык',
    signOut: 'Выйти',
    homeTitle: 'Ваши согласия',
    homeIntro:
      'Здесь видно, для чего мы используем ваши данные. Согласие можно дать или отозвать в любой момент — так же просто, как его дать.',
    gpcOn:
      'Ваш браузер передаёт сигнал Global Privacy Control. Мы считаем его отказом от продажи и передачи данных и от таргетированной рекламы.',
    basis: 'Основание',
    categories: 'Какие данные',
    kept: 'Сколько хранятся',
    recipients: 'Кто получает данные',
    onlyUs: 'Только мы',
    ai: 'Автоматизированная обработка и ИИ',
    aiYes: 'Да, используется',
    aiNo: 'Нет',
    aiTraining: 'Обучение моделей ИИ',
    notStated: 'Не указано',
    aiQuestion: 'Используются ли мои данные для обучения ИИ?',
    aiTrainingYes: 'Да, для целей:',
    aiTrainingNo: 'Нет. Ваши данные не используются для обучения моделей ИИ.',
    aiTrainingWithdraw: 'Если основанием служит ваше согласие, его можно отозвать ниже.',
    aiAnalysisYes:
      'Модели ИИ анализируют ваши данные (имя, контакты и другие личные данные удаляются из текста до отправки) для целей:',
    aiAnalysisNo: 'Модели ИИ ваши данные не анализируют.',
    notice: 'Полный текст уведомления',
    noticeVersion: 'версия',
    status: 'Статус',
    give: 'Дать согласие',
    withdraw: 'Отозвать согласие',
    gpcBlocks: 'Пока браузер передаёт Global Privacy Control, согласие на эту цель дать нельзя.',
    noConsentNeeded:
      'Для этой цели согласие не требуется. Если вы возражаете, отправьте запрос в разделе «Запросы».',
    noPurposes: 'Сейчас мы не используем ваши данные ни для каких целей.',
    saved: 'Сохранено. Ваш выбор записан.',
    requested: 'Запрос принят. Мы ответим в установленный законом срок.',
    dataTitle: 'Ваши данные',
    dataIntro:
      'Всё, что мы храним о вас: профиль, согласия и журнал доступа. Каждый просмотр этой страницы записывается в журнал.',
    downloadJson: 'Скачать в формате JSON',
    profile: 'Профиль',
    field: 'Поле',
    value: 'Значение',
    consents: 'Согласия',
    purpose: 'Цель',
    since: 'С',
    accessTitle: 'Кто видел ваши данные',
    accessIntro:
      'Каждое обращение к вашим данным: когда, в какой роли и зачем. Имена сотрудников не показываются.',
    when: 'Когда',
    role: 'Роль',
    why: 'Зачем',
    how: 'Как',
    outcome: 'Итог',
    fields: 'Поля',
    noAccess: 'Никто ещё не обращался к вашим данным.',
    requestsTitle: 'Запросы',
    requestsIntro:
      'Попросите удалить или исправить ваши данные. Запрос получит номер и срок ответа по закону.',
    kind: 'Что вы просите',
    askErasure: 'Удалить мои данные',
    askRectification: 'Исправить мои данные',
    askRestriction: 'Ограничить обработку',
    askAccess: 'Копию моих данных (официальный ответ)',
    send: 'Отправить запрос',
    yourRequests: 'Ваши запросы',
    noRequests: 'Запросов пока нет.',
    received: 'Получен',
    due: 'Срок ответа',
    errorTitle: 'Что-то пошло не так',
    linkExpired: 'Срок действия ссылки истёк',
    linkExpiredText:
      'Эта ссылка больше не действует. Попросите новую ссылку там, где получили эту (например, в службе поддержки).',
    linkInvalid: 'Ссылка недействительна',
    linkInvalidText:
      'Ссылка повреждена или не была выдана нами. Проверьте, что она скопирована целиком, или попросите новую.',
    sessionOver: 'Сеанс завершён',
    sessionOverText: 'Сеанс истёк или вы вышли. Откройте ссылку ещё раз или попросите новую.',
    signedOut: 'Вы вышли из центра конфиденциальности.',
    formExpired: 'Форма устарела',
    formExpiredText: 'Форма устарела или была отправлена не с этой страницы. Попробуйте ещё раз.',
    badInput: 'Запрос не принят',
    erasedTitle: 'Данные удалены',
    erasedText: 'Ваши данные уже удалены. Нам больше нечего показать.',
    notFoundTitle: 'Страница не найдена',
    serverError: 'Не удалось выполнить действие. Попробуйте позже.',
    back: 'Вернуться к согласиям',
  },
  en: {
    centre: 'Privacy centre',
    skip: 'Skip to content',
    nav: 'Sections',
    navHome: 'Your choices',
    navData: 'Your data',
    navAccess: 'Who saw your data',
    navRequests: 'Requests',
    language: 'Language',
    signOut: 'Sign out',
    homeTitle: 'Your choices',
    homeIntro:
      'This is what we use your data for. You can give or withdraw consent at any time: withdrawing is as easy as giving.',
    gpcOn:
      'Your browser sends a Global Privacy Control signal. We treat it as an opt-out of selling or sharing your data and of targeted advertising.',
    basis: 'Legal basis',
    categories: 'Data used',
    kept: 'Kept for',
    recipients: 'Who receives it',
    onlyUs: 'Only us',
    ai: 'Automated and AI processing',
    aiYes: 'Yes',
    aiNo: 'No',
    aiTraining: 'Training AI models',
    notStated: 'Not stated',
    aiQuestion: 'Is my data used to train AI?',
    aiTrainingYes: 'Yes, for:',
    aiTrainingNo: 'No. Your data is not used to train AI models.',
    aiTrainingWithdraw: 'Where this rests on your consent, you can withdraw it below.',
    aiAnalysisYes:
      'AI models analyse your data (your name, contacts and other personal details are removed from the text before it is sent) for:',
    aiAnalysisNo: 'No AI model analyses your data.',
    notice: 'Full notice',
    noticeVersion: 'version',
    status: 'Status',
    give: 'Give consent',
    withdraw: 'Withdraw consent',
    gpcBlocks:
      'While your browser sends Global Privacy Control, consent to this purpose cannot be given.',
    noConsentNeeded:
      'This purpose does not rely on your consent. To object, send a request under "Requests".',
    noPurposes: 'We do not use your data for any purpose at the moment.',
    saved: 'Saved. Your choice is recorded.',
    requested: 'Request received. We will answer within the legal deadline.',
    dataTitle: 'Your data',
    dataIntro:
      'Everything we hold about you: your profile, your consents and the access log. Every view of this page is recorded in the log.',
    downloadJson: 'Download as JSON',
    profile: 'Profile',
    field: 'Field',
    value: 'Value',
    consents: 'Consents',
    purpose: 'Purpose',
    since: 'Since',
    accessTitle: 'Who saw your data',
    accessIntro: 'Every access to your data: when, in which role and why. Employees are not named.',
    when: 'When',
    role: 'Role',
    why: 'Why',
    how: 'How',
    outcome: 'Outcome',
    fields: 'Fields',
    noAccess: 'Nobody has accessed your data yet.',
    requestsTitle: 'Requests',
    requestsIntro:
      'Ask us to delete or correct your data. Your request gets a case number and a legal deadline.',
    kind: 'What you ask for',
    askErasure: 'Delete my data',
    askRectification: 'Correct my data',
    askRestriction: 'Restrict processing',
    askAccess: 'A copy of my data (formal answer)',
    send: 'Send request',
    yourRequests: 'Your requests',
    noRequests: 'No requests yet.',
    received: 'Received',
    due: 'Answer due by',
    errorTitle: 'Something went wrong',
    linkExpired: 'This link has expired',
    linkExpiredText:
      'This link no longer works. Ask for a new one where you got this one (for example, from customer support).',
    linkInvalid: 'This link is not valid',
    linkInvalidText:
      'The link is damaged or was not issued by us. Check that it was copied whole, or ask for a new one.',
    sessionOver: 'Your session has ended',
    sessionOverText:
      'The session expired or you signed out. Open your link again or ask for a new one.',
    signedOut: 'You have signed out of the privacy centre.',
    formExpired: 'This form has expired',
    formExpiredText: 'The form expired or was not sent from this page. Please try again.',
    badInput: 'The request was not accepted',
    erasedTitle: 'Your data is erased',
    erasedText: 'Your data has already been erased. There is nothing more to show.',
    notFoundTitle: 'Page not found',
    serverError: 'The action could not be completed. Please try again later.',
    back: 'Back to your choices',
  },
} as const satisfies Record<CentreLanguage, Record<string, string>>;

export type Text = (typeof TEXT)[CentreLanguage];

export const STATUS_TEXT: Record<CentreLanguage, Record<string, string>> = {
  ru: {
    granted: 'Согласие дано',
    revoked: 'Согласие отозвано',
    expired: 'Срок согласия истёк',
    stale: 'Уведомление изменилось: нужно новое согласие',
    never: 'Согласие не давалось',
    erased: 'Данные удалены',
  },
  en: {
    granted: 'Consent given',
    revoked: 'Consent withdrawn',
    expired: 'Consent expired',
    stale: 'The notice changed: consent is needed again',
    never: 'Not given',
    erased: 'Erased',
  },
};

export const BASIS_TEXT: Record<CentreLanguage, Record<string, string>> = {
  ru: {
    consent: 'Ваше согласие',
    contract: 'Договор с вами',
    legal_obligation: 'Требование закона',
    vital_interest: 'Защита жизненно важных интересов',
    public_task: 'Задача в общественных интересах',
    legitimate_interest: 'Законный интерес',
  },
  en: {
    consent: 'Your consent',
    contract: 'Our contract with you',
    legal_obligation: 'A legal obligation',
    vital_interest: 'Vital interests',
    public_task: 'A task in the public interest',
    legitimate_interest: 'Legitimate interest',
  },
};

export const CATEGORY_TEXT: Record<CentreLanguage, Record<string, string>> = {
  ru: {
    contact: 'контакты',
    identity: 'личность',
    financial: 'финансовые данные',
    special: 'особые категории',
    behavioural: 'поведение',
    location: 'местоположение',
    technical: 'технические данные',
  },
  en: {
    contact: 'contact details',
    identity: 'identity',
    financial: 'financial data',
    special: 'special categories',
    behavioural: 'behaviour',
    location: 'location',
    technical: 'technical data',
  },
};

export const KIND_TEXT: Record<CentreLanguage, Record<string, string>> = {
  ru: {
    access: 'Копия данных',
    rectification: 'Исправление',
    erasure: 'Удаление',
    withdrawal: 'Отзыв или возражение',
    restriction: 'Ограничение обработки',
  },
  en: {
    access: 'Copy of data',
    rectification: 'Correction',
    erasure: 'Deletion',
    withdrawal: 'Withdrawal or objection',
    restriction: 'Restriction',
  },
};

export const CASE_STATUS_TEXT: Record<CentreLanguage, Record<string, string>> = {
  ru: {
    received: 'Получен',
    in_progress: 'В работе',
    extended: 'Срок продлён',
    completed: 'Выполнен',
    refused: 'Отказано',
  },
  en: {
    received: 'Received',
    in_progress: 'In progress',
    extended: 'Extended',
    completed: 'Completed',
    refused: 'Refused',
  },
};

export const OUTCOME_TEXT: Record<CentreLanguage, Record<string, string>> = {
  ru: { granted: 'Просмотр', exported: 'Выгрузка', denied: 'Отказано в доступе' },
  en: { granted: 'Viewed', exported: 'Exported', denied: 'Refused access' },
};

const UNITS: Record<CentreLanguage, Record<string, [string, string, string]>> = {
  // one, few, many (Russian plural forms); English uses one and many.
  ru: {
    Y: ['год', 'года', 'лет'],
    M: ['месяц', 'месяца', 'месяцев'],
    W: ['неделя', 'недели', 'недель'],
    D: ['день', 'дня', 'дней'],
    H: ['час', 'часа', 'часов'],
  },
  en: {
    Y: ['year', 'years', 'years'],
    M: ['month', 'months', 'months'],
    W: ['week', 'weeks', 'weeks'],
    D: ['day', 'days', 'days'],
    H: ['hour', 'hours', 'hours'],
  },
};

function plural(language: CentreLanguage, n: number, forms: [string, string, string]): string {
  if (language === 'en') return n === 1 ? forms[0] : forms[1];
  const mod10 = n % 10;
  const mod100 = n % 100;
  if (mod10 === 1 && mod100 !== 11) return forms[0];
  if (mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14)) return forms[1];
  return forms[2];
}

/** An ISO-8601 duration (`P2Y6M`, `P30D`, `PT12H`) in words; anything else is shown as it is. */
export function retentionInWords(language: CentreLanguage, duration: string): string {
  const match = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?)?$/.exec(duration);
  if (!match || duration === 'P' || duration === 'PT') return duration;
  const parts: string[] = [];
  ['Y', 'M', 'W', 'D', 'H'].forEach((unit, i) => {
    const n = match[i + 1] === undefined ? 0 : Number(match[i + 1]);
    if (n > 0) parts.push(`${n} ${plural(language, n, UNITS[language][unit])}`);
  });
  return parts.length > 0 ? parts.join(' ') : duration;
}

/** A moment as the customer reads it (UTC, to the minute). */
export function moment(language: CentreLanguage, iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(language === 'ru' ? 'ru-RU' : 'en-GB', {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone: 'UTC',
  })
    .format(date)
    .concat(' UTC');
}
