declare module 'petrovich' {
  type Case =
    'nominative' | 'genitive' | 'dative' | 'accusative' | 'instrumental' | 'prepositional';
  type Inflect = Record<Case, (name: string) => string>;
  interface Gendered {
    first: Inflect;
    last: Inflect;
    middle: Inflect;
  }
  interface Petrovich {
    detect_gender(middle: string): 'male' | 'female' | 'androgynous';
    male: Gendered;
    female: Gendered;
    androgynous: Gendered;
  }
  const petrovich: Petrovich;
  export = petrovich;
}
