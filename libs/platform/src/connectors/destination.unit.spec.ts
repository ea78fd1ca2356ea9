import { addressAllowed, destinationProblem, isPrivateAddress } from './destination';

const strict = { allowHttpLoopback: false, allowPrivateNetworks: false };
const loopback = { allowHttpLoopback: true, allowPrivateNetworks: false };

describe('webhook destinations', () => {
  it('takes public https URLs', () => {
    expect(destinationProblem('https://hooks.example.com/custodian', strict)).toBeNull();
    expect(destinationProblem('https://93.184.216.34:8443/x', strict)).toBeNull();
  });

  it.each([
    ['ftp://hooks.example.com/x', 'must be https'],
    ['http://hooks.example.com/x', 'must be https'],
    ['https://user:pw@hooks.example.com/x', 'user name or password'],
    ['https://10.1.2.3/x', 'private'],
    ['https://192.168.0.10/x', 'private'],
    ['https://172.20.0.1/x', 'private'],
    ['https://169.254.169.254/latest/meta-data', 'private'],
    ['https://127.0.0.1/x', 'private'],
    ['https://[::1]/x', 'private'],
    ['https://[fd00::1]/x', 'private'],
    ['https://[::ffff:10.0.0.1]/x', 'private'],
    ['https://localhost/x', 'private'],
    ['not a url', 'absolute URL'],
  ])('refuses %s', (url, problem) => {
    expect(destinationProblem(url, strict)).toContain(problem);
  });

  it('takes http only to loopback, and only when allowed', () => {
    expect(destinationProblem('http://127.0.0.1:8080/hooks', strict)).toContain('must be https');
    expect(destinationProblem('http://127.0.0.1:8080/hooks', loopback)).toBeNull();
    expect(destinationProblem('http://[::1]:8080/hooks', loopback)).toBeNull();
    expect(destinationProblem('http://10.0.0.1/hooks', loopback)).toContain('only on loopback');
    expect(destinationProblem('http://hooks.example.com/x', loopback)).toContain(
      'only on loopback',
    );
  });

  it('checks resolved addresses: no private ones for https, loopback only for http', () => {
    expect(addressAllowed('93.184.216.34', 'https:', strict)).toBe(true);
    expect(addressAllowed('10.0.0.1', 'https:', strict)).toBe(false);
    expect(addressAllowed('10.0.0.1', 'https:', { ...strict, allowPrivateNetworks: true })).toBe(
      true,
    );
    expect(addressAllowed('127.0.0.1', 'http:', loopback)).toBe(true);
    expect(addressAllowed('93.184.216.34', 'http:', loopback)).toBe(false);
    expect(isPrivateAddress('100.64.0.1')).toBe(true);
    expect(isPrivateAddress('2001:db8::1')).toBe(false);
  });
});
