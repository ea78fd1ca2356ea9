import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  IsInt,
  IsString,
  Max,
  ValidateNested,
  getMetadataStorage,
  validateSync,
} from 'class-validator';
import { memoiseValidationMetadata } from './validation-metadata-memo';

class Inner {
  @IsInt()
  @Max(10)
  n!: number;
}

class Outer {
  @IsString()
  name!: string;

  @ValidateNested()
  @Type(() => Inner)
  inner!: Inner;
}

const problems = (object: object) =>
  validateSync(object, { whitelist: true, forbidNonWhitelisted: true }).map((e) => ({
    property: e.property,
    constraints: e.constraints,
    children: e.children?.map((c) => ({ property: c.property, constraints: c.constraints })),
  }));

const outer = (name: unknown, n: unknown, extra: Record<string, unknown> = {}) =>
  Object.assign(new Outer(), { name, inner: Object.assign(new Inner(), { n }), ...extra });

describe('memoiseValidationMetadata', () => {
  it('validates as class-validator does, looking each class up once', () => {
    const cases = [outer('a', 1), outer(7, 11), outer('a', 'x', { stray: true })];
    const before = cases.map(problems);
    memoiseValidationMetadata();
    memoiseValidationMetadata(); // a second call changes nothing
    expect(cases.map(problems)).toEqual(before);
    expect(before[1]).toHaveLength(2);
    expect(before[2]).toEqual(
      expect.arrayContaining([expect.objectContaining({ property: 'stray' })]),
    );

    const storage = getMetadataStorage();
    const first = storage.getTargetValidationMetadatas(Outer, '', false, false);
    expect(storage.getTargetValidationMetadatas(Outer, '', false, false)).toBe(first);
    expect(storage.groupByPropertyName(first)).toBe(storage.groupByPropertyName(first));
  });

  it('forgets what it kept when a rule is added (a class declared later)', () => {
    memoiseValidationMetadata();
    expect(problems(outer('a', 1))).toEqual([]);
    const storage = getMetadataStorage();
    const kept = storage.getTargetValidationMetadatas(Outer, '', false, false);

    class Later extends Outer {
      @IsInt()
      count!: number;
    }
    expect(storage.getTargetValidationMetadatas(Outer, '', false, false)).not.toBe(kept);
    const later = Object.assign(new Later(), {
      name: 'a',
      inner: Object.assign(new Inner(), { n: 1 }),
    });
    expect(problems(later).map((p) => p.property)).toEqual(['count']);
    // A subclass sees its parent's rules too.
    later.count = 2;
    later.name = 5 as unknown as string;
    expect(problems(later).map((p) => p.property)).toEqual(['name']);
  });
});
