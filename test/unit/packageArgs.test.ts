import { DEFAULT_STAGE, packageArgs } from '../../tools/package';

describe('npm run package', () => {
  it('packages the ci stage, which needs no stage parameter, when no stage is named', () => {
    expect(DEFAULT_STAGE).toBe('ci');
    expect(packageArgs([])).toEqual(['package', '--stage', 'ci']);
    expect(packageArgs(['--package', 'out'])).toEqual(['package', '--stage', 'ci', '--package', 'out']);
  });

  it.each([[['--stage', 'prod', '--param=ctliveTarget=lambda:ctlive-inbound']], [['--stage=prod']], [['-s', 'prod']]])(
    'passes a named stage through, and adds no second --stage (serverless refuses two): %j',
    (args) => {
      expect(packageArgs(args)).toEqual(['package', ...args]);
    },
  );
});
