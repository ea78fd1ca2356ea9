import { maskValue } from './masks';

describe('masks', () => {
  it.each([
    ['phone', '+7 912 345-45-67', '+7 *** ***-45-67'],
    ['phone', '+49 30 1234567', '+49 *** ***-45-67'],
    ['email', 'ivan@example.com', 'i***@example.com'],
    ['name', 'Ivan Petrov', 'Ivan P.'],
    ['name', 'Anna Maria Smirnova', 'Anna S.'],
    ['name', 'Madonna', 'M***'],
    ['name', '  Madonna  ', 'M***'],
    ['birthDate', '1990-04-01', '1990'],
    ['address', 'Lenina 1, Moscow', 'L***'],
  ])('shows %s %s partially as %s', (field, value, masked) => {
    expect(maskValue(field, value, 'partial')).toBe(masked);
  });

  it('shows full values whole and hides hidden ones', () => {
    expect(maskValue('email', 'ivan@example.com', 'full')).toBe('ivan@example.com');
    expect(maskValue('email', 'ivan@example.com', 'hidden')).toBeNull();
  });
});
