/**
 * First-name dictionaries for finding people's names in text. Hand-compiled for this project
 * from common usage (no third-party data set, so no licence to track): the most common Russian
 * first names with their usual diminutives, and common English given names. Russian case forms
 * are generated from these with `petrovich` (see names.ts).
 *
 * Each Russian line is `Full:Diminutive,Diminutive`.
 */
export const RU_MALE = `Александр:Саша,Саня,Шура,Санёк
Алексей:Лёша,Алёша,Лёха
Анатолий:Толя,Толик
Андрей:Андрюша
Антон:Антоша
Аркадий:Аркаша
Арсений:Арсюша,Сеня
Артём:Тёма
Артур
Богдан
Борис:Боря
Вадим:Вадик
Валентин:Валя
Валерий:Валера
Василий:Вася
Виктор:Витя
Виталий:Виталик
Владимир:Володя,Вова
Владислав:Влад,Владик
Всеволод:Сева
Вячеслав:Слава
Геннадий:Гена
Георгий:Жора,Гоша
Герман
Глеб
Григорий:Гриша
Даниил:Даня
Данила
Денис:Дениска
Дмитрий:Дима,Митя
Евгений:Женя
Егор:Егорка
Иван:Ваня
Игорь:Игорёк
Илья:Илюша
Кирилл:Кирюша
Константин:Костя
Леонид:Лёня
Максим:Макс
Марат
Матвей:Мотя
Михаил:Миша
Никита:Никитка
Николай:Коля
Олег:Олежка
Павел:Паша
Пётр:Петя
Петр
Ростислав:Слава,Ростик
Руслан
Семён:Сёма
Сергей:Серёжа,Серёга
Станислав:Стас,Слава
Степан:Стёпа
Тимофей:Тима
Тимур
Фёдор:Федя
Филипп
Эдуард:Эдик
Юрий:Юра
Ярослав:Ярик,Слава`;

export const RU_FEMALE = `Алевтина:Аля
Александра:Саша,Шура
Алёна
Алина
Алиса
Алла
Анастасия:Настя
Ангелина:Геля
Анна:Аня,Анечка,Нюра
Антонина:Тоня
Валентина:Валя
Валерия:Лера
Варвара:Варя
Вера:Верочка
Вероника:Ника
Виктория:Вика
Галина:Галя
Дарья:Даша
Диана
Евгения:Женя
Екатерина:Катя,Катюша
Елена:Лена,Леночка
Елизавета:Лиза
Жанна
Зоя
Инна
Ирина:Ира,Иришка
Карина
Кира
Клавдия:Клава
Кристина
Ксения:Ксюша
Лариса:Лара
Лидия:Лида
Любовь:Люба
Людмила:Люда,Мила
Маргарита:Рита
Марина
Мария:Маша,Машенька,Маруся
Милана
Надежда:Надя
Наталья:Наташа
Наталия
Нина
Оксана
Ольга:Оля
Полина:Поля
Раиса:Рая
Светлана:Света
Снежана
София:Соня
Софья
Таисия:Тая
Тамара:Тома
Татьяна:Таня
Ульяна:Уля
Эвелина
Юлия:Юля
Яна`;

export const EN_FIRST = `Aaron Adam Adrian Alan Albert Alex Alexander Alice Alicia Alison Amanda Amelia Amy Andrea Andrew
Angela Anna Anne Anthony Arthur Ashley Barbara Ben Benjamin Beth Betty Brandon Brenda Brian Bruce
Carl Carlos Carol Caroline Catherine Charles Charlie Charlotte Chloe Chris Christina Christine
Christopher Claire Daniel Danny David Deborah Dennis Diana Diane Donald Donna Dorothy Douglas Dylan
Edward Eleanor Elizabeth Ella Ellen Emily Emma Eric Ethan Eva Evelyn Frank Gary George Gloria
Grace Gregory Hannah Harold Harry Heather Helen Henry Isabella Jack Jacob James Jane Janet Jason
Jean Jeffrey Jennifer Jeremy Jerry Jessica Joan Joe John Jonathan Jordan Joseph Joshua Joyce Judith
Julia Julie Justin Karen Katherine Kathleen Kathryn Kayla Keith Kelly Kenneth Kevin Kimberly Kyle
Larry Laura Lauren Linda Lisa Logan Louis Lucy Luke Margaret Maria Marie Marilyn Martha Mary
Matthew Megan Melissa Michael Michelle Mike Nancy Natalie Nathan Nicholas Nicole Noah Oliver Olivia
Oscar Pamela Patricia Patrick Paul Peter Philip Rachel Ralph Raymond Rebecca Richard Robert Roger
Ronald Ruth Ryan Samantha Samuel Sandra Sara Sarah Scott Sean Sharon Sophia Sophie Stephen Steven
Susan Teresa Thomas Timothy Tom Tyler Victoria Vincent Walter William Zachary Olga Irina Natasha
Ivan Dmitry Sergey Alexei Anastasia Ekaterina Elena Tatiana Svetlana Yulia Mikhail Nikolai Pavel`;

/**
 * Names that are also common words (in Russian or English); found only when a capitalised
 * surname or patronymic stands next to them, or a title ("Mr", "г-н") before them.
 */
export const AMBIGUOUS = new Set(
  [
    'вера',
    'надежда',
    'любовь',
    'роман',
    'лев',
    'слава',
    'мила',
    'ника',
    'ян',
    'макс',
    'влад',
    'кира',
    'поля',
    'рая',
    'тома',
    'соня',
    'яна',
    'алла',
    'лара',
    'аля',
    'валя',
    'женя',
    'гена',
    'will',
    'may',
    'june',
    'mark',
    'bill',
    'rose',
    'grace',
    'hope',
    'faith',
    'joy',
    'jack',
    'frank',
    'april',
    'august',
    'art',
    'max',
    'pat',
    'ray',
    'victoria',
    'amber',
    'ruby',
    'carol',
  ].map((s) => s.normalize('NFC')),
);
