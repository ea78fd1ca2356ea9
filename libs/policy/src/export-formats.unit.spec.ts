import { csvHeader, csvLine, ndjsonLine } from './export-formats';

describe('export formats', () => {
  describe('ndjson', () => {
    it('writes one JSON object per line, nulls included, line breaks escaped', () => {
      const line = ndjsonLine({ name: 'Иван "Ваня"\nПетров', email: null, note: '😀' });
      expect(line).toBe('{"name":"Иван \\"Ваня\\"\\nПетров","email":null,"note":"😀"}\n');
      expect(line.indexOf('\n')).toBe(line.length - 1);
      expect(JSON.parse(line)).toEqual({ name: 'Иван "Ваня"\nПетров', email: null, note: '😀' });
    });
  });

  describe('csv', () => {
    const columns = ['name', 'phone', 'note'] as const;

    it('ends the header and every line with CRLF', () => {
      expect(csvHeader(columns)).toBe('name,phone,note\r\n');
      expect(csvLine(columns, { name: 'Ivan', phone: '+7 912 345-45-67', note: 'ok' })).toBe(
        'Ivan,+7 912 345-45-67,ok\r\n',
      );
    });

    it.each([
      ['a "quoted" word', '"a ""quoted"" word"'],
      ['Lenina 1, Moscow', '"Lenina 1, Moscow"'],
      ['two\nlines', '"two\nlines"'],
      ['two\r\nlines', '"two\r\nlines"'],
      ['"', '""""'],
      ['plain', 'plain'],
      ['', ''],
    ])('writes %j as %j', (value, field) => {
      expect(csvLine(['note'], { note: value })).toBe(`${field}\r\n`);
    });

    it('writes null and missing values as empty fields, in column order', () => {
      expect(csvLine(columns, { note: 'x', name: null })).toBe(',,x\r\n');
      expect(csvLine(['constructor', 'toString'], {})).toBe(',\r\n');
    });

    it('keeps unicode as is', () => {
      expect(csvLine(columns, { name: 'Иван Петров', phone: null, note: 'Grüße, 😀' })).toBe(
        'Иван Петров,,"Grüße, 😀"\r\n',
      );
    });

    it.each([
      ['=HYPERLINK("http://evil","x")', `"'=HYPERLINK(""http://evil"",""x"")"`],
      ['=1+2', "'=1+2"],
      ['@SUM(A1)', "'@SUM(A1)"],
      ['\t=1+2', "'\t=1+2"],
      ['\r=1+2', `"'\r=1+2"`],
      ['-2+3', "'-2+3"],
      ['+cmd|/c calc', "'+cmd|/c calc"],
      ['-A1', "'-A1"],
    ])('neutralises the formula %j', (value, field) => {
      expect(csvLine(['note'], { note: value })).toBe(`${field}\r\n`);
    });

    it.each(['+7 912 345-45-67', '+49 (30) 1234567', '-12.5', '+1-202-555-0143', '-', 'a=b'])(
      'keeps the phone- or number-like or harmless value %j as written',
      (value) => {
        expect(csvLine(['note'], { note: value })).toBe(`${value}\r\n`);
      },
    );

    it('protects header cells too', () => {
      expect(csvHeader(['=x', 'a,b'])).toBe(`'=x,"a,b"\r\n`);
    });
  });
});
