/** Types of ./refuseLocalValues.js, for its unit test. */
interface ServiceSettings {
  environment?: Record<string, string | undefined>;
}

declare class RefuseLocalValues {
  constructor(
    serverless: {
      classes: { Error: new (message: string) => Error };
      service: { provider: ServiceSettings & { stage: string }; functions?: Record<string, ServiceSettings> };
    },
    options?: { stage?: string },
  );
  hooks: Record<string, () => void>;
}

declare namespace RefuseLocalValues {
  function localValueProblems(stage: string, provider: ServiceSettings, functions?: Record<string, ServiceSettings>): string[];
}

export = RefuseLocalValues;
