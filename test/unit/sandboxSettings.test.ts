import { sandboxReportsOn } from '../../tools/stack';

describe('SANDBOX_DELIVERY_REPORTS', () => {
  it.each<[string | undefined, boolean]>([
    [undefined, true],
    ['', true],
    ['on', true],
    ['off', false],
  ])('%p turns the sandbox’s delivery reports on: %p', (value, on) => {
    expect(sandboxReportsOn(value)).toBe(on);
  });

  it('refuses any other value, naming the variable and what it takes', () => {
    expect(() => sandboxReportsOn('false')).toThrow('SANDBOX_DELIVERY_REPORTS must be on or off, not "false"');
  });
});
