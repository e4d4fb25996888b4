import { checkFunctionConfigs, configProblemsText } from '../../tools/configCheck';
import { LOCAL_ENV } from '../support/localConfigEnv';

describe('npm start checks every function configuration before its banner', () => {
  it('the local stack configuration: every function would start', async () => {
    expect(await checkFunctionConfigs(LOCAL_ENV)).toEqual([]);
  }, 120_000);

  it('an INFOBIP_REPORT_TOKEN of 30 characters: each function that reads it is named, with the reason, never the value', async () => {
    const short = 'short-report-token-0123456789a';
    expect(short).toHaveLength(30);

    const problems = await checkFunctionConfigs({ ...LOCAL_ENV, INFOBIP_REPORT_TOKEN: short });

    const names = problems.map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['sendMessage', 'sendWhatsAppImageMessage', 'onDeliveryReport']));
    for (const { issues } of problems) {
      expect(issues).toEqual([
        expect.objectContaining({ variable: 'INFOBIP_REPORT_TOKEN', reason: expect.stringContaining('32 to 256') }),
      ]);
    }
    const text = configProblemsText(problems);
    expect(text).toContain('sendMessage: INFOBIP_REPORT_TOKEN must be 32 to 256 URL-safe characters');
    expect(text).not.toContain(short);
  }, 120_000);
});
