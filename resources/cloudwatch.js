'use strict';
// CloudWatch resources of the service, built from `functions:` so a new function gets them
// too: saved Logs Insights queries (one per function tag, one for a message's story, one for
// errors); per function, metric filters counting its ERROR and WARN lines and its failed
// starts; alarms on real trouble, from the functions' embedded metrics (lib/platform/metrics.ts,
// namespace IMChannel, dimensions service, stage, function); and a dashboard of all of it.
// Metrics, alarms and what to do about each: docs/operations.md, "Metrics and alarms".

const upperFirst = (name) => name.charAt(0).toUpperCase() + name.slice(1);
const idOf = (fn) => upperFirst(fn).replace(/[^A-Za-z0-9]/g, '');
/** The framework's logical id of a function's log group (AWS::Logs::LogGroup). */
const logGroupId = (fn) => `${idOf(fn)}LogGroup`;

const NAMESPACE = 'IMChannel';
const PERIOD = 300;
/** Infobip's status groups of a message that did not reach the customer (api-evangelist/infobip,
 * openapi/infobip-whatsapp-openapi.json, MessageGeneralStatus); Infobip has no group FAILED. */
const FAILED_GROUPS = ['UNDELIVERABLE', 'EXPIRED', 'REJECTED'];

/** The line a function that cannot start writes (lib/platform/runtime.ts). */
const START_FAILURE = 'Configuration error, the function cannot start';
/** Metric filters, per function, on its JSON log lines (namespace IMChannel/<stage>). */
const LINE_FILTERS = {
  ErrorLines: '{ $.level = "ERROR" }',
  WarnLines: '{ $.level = "WARN" }',
  StartFailures: `{ $.level = "ERROR" && $.message = "*${START_FAILURE}*" }`,
};

/** Thresholds: stage parameters with the defaults of serverless.yml's `params:`. */
const THRESHOLDS = {
  serverErrorsMin: { integer: true, min: 1 },
  serverErrorsShare: { integer: false, min: 0, max: 1 },
  forwardFailuresMin: { integer: true, min: 1 },
  inboundMediaFailuresMin: { integer: true, min: 1 },
  infobipErrorsMin: { integer: true, min: 1 },
  deliveryFailedShare: { integer: false, min: 0, max: 1 },
  deliveryFailedMinReports: { integer: true, min: 1 },
  // Hours without one inbound result; 0: no silence alarm (a stage nobody writes to).
  inboundSilenceHours: { integer: true, min: 0, max: 24 },
};

const pct = (share) => `${Math.round(share * 1000) / 10}%`;

function parameterError(message) {
  const error = new Error(message);
  error.stack = error.message; // the framework prints the stack: the message is all that helps
  return error;
}

async function thresholds(resolveVariable) {
  const out = {};
  for (const [name, rule] of Object.entries(THRESHOLDS)) {
    const raw = String((await resolveVariable(`param:${name}, ''`)) ?? '').trim();
    const value = Number(raw);
    const ok =
      raw !== '' &&
      Number.isFinite(value) &&
      (!rule.integer || Number.isInteger(value)) &&
      value >= rule.min &&
      (rule.max === undefined || value <= rule.max);
    if (!ok) {
      const kind = rule.integer ? 'a whole number' : 'a number';
      const range = rule.max === undefined ? `at least ${rule.min}` : `from ${rule.min} to ${rule.max}`;
      throw parameterError(`Stage parameter "${name}" must be ${kind} ${range}, got "${raw}" (docs/operations.md)`);
    }
    out[name] = value;
  }
  return out;
}

module.exports = async ({ resolveConfigurationProperty, resolveVariable }) => {
  const functions = Object.keys((await resolveConfigurationProperty(['functions'])) ?? {});
  const stage = await resolveVariable('sls:stage');
  const service = await resolveVariable('self:service');
  const alarmTopicArn = String((await resolveVariable("param:alarmTopicArn, ''")) ?? '').trim();
  if (alarmTopicArn !== '' && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/.test(alarmTopicArn)) {
    throw parameterError(`Stage parameter "alarmTopicArn" must be an SNS topic ARN, got "${alarmTopicArn}"`);
  }
  const limits = await thresholds(resolveVariable);
  const folder = `${service}-${stage}`;
  const lineNamespace = `${NAMESPACE}/${stage}`;
  // Every function that calls Infobip on ctlive's behalf: the sends, and the read receipt (which is no message).
  const sends = functions.filter((fn) => fn.startsWith('send') || fn === 'markAsRead');
  const webhooks = functions.filter((fn) => fn === 'onMessage' || fn === 'onDeliveryReport');
  const actions = alarmTopicArn === '' ? {} : { AlarmActions: [alarmTopicArn], OKActions: [alarmTopicArn] };

  /** An embedded metric of one function: the dimensions lib/platform/metrics.ts writes. */
  const metric = (name, fn, extra = {}) => ({
    Namespace: NAMESPACE,
    MetricName: name,
    Dimensions: Object.entries({ service, stage, function: fn, ...extra }).map(([Name, Value]) => ({ Name, Value })),
  });
  const query = (id, name, fn, extra, period = PERIOD) => ({
    Id: id,
    MetricStat: { Metric: metric(name, fn, extra), Period: period, Stat: 'Sum' },
    ReturnData: false,
  });
  const expression = (id, text, label) => ({ Id: id, Expression: text, Label: label, ReturnData: true });
  /** Alarms on metric math: the expression is 1 when there is trouble, so the threshold is 1. */
  const mathAlarm = (name, description, metrics, extra = {}) => ({
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `${folder}-${name}`,
      AlarmDescription: `${description} (docs/operations.md, "Metrics and alarms")`,
      Metrics: metrics,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      ...extra,
      ...actions,
    },
  });
  const sumOf = (ids) => ids.map((id) => `FILL(${id}, 0)`).join(' + ');

  const allGroups = functions.map((fn) => ({ Ref: logGroupId(fn) }));
  const resources = {
    ImchannelMessageStoryQuery: {
      Type: 'AWS::Logs::QueryDefinition',
      Properties: {
        Name: `${folder}/message story by messageId`,
        LogGroupNames: allGroups,
        // Replace MESSAGE_ID: every line of every function about that message, in order.
        QueryString: [
          'fields @timestamp, @log, level, message, messageId',
          "| filter messageId = 'MESSAGE_ID' or @message like 'MESSAGE_ID'",
          '| sort @timestamp asc',
          '| limit 1000',
        ].join('\n'),
      },
    },
    ImchannelErrorsQuery: {
      Type: 'AWS::Logs::QueryDefinition',
      Properties: {
        Name: `${folder}/errors`,
        LogGroupNames: allGroups,
        QueryString: [
          'fields @timestamp, @log, message, messageId',
          "| filter level = 'ERROR'",
          '| sort @timestamp desc',
          '| limit 200',
        ].join('\n'),
      },
    },
  };

  for (const fn of functions) {
    const id = idOf(fn);
    resources[`${id}TagQuery`] = {
      Type: 'AWS::Logs::QueryDefinition',
      Properties: {
        Name: `${folder}/${fn}`,
        LogGroupNames: [{ Ref: logGroupId(fn) }],
        QueryString: [
          'fields @timestamp, level, message, messageId',
          `| filter @message like '[IMCHANNEL] [${fn}]'`,
          '| sort @timestamp desc',
          '| limit 200',
        ].join('\n'),
      },
    };
    for (const [name, pattern] of Object.entries(LINE_FILTERS)) {
      resources[`${id}${name}MetricFilter`] = {
        Type: 'AWS::Logs::MetricFilter',
        Properties: {
          LogGroupName: { Ref: logGroupId(fn) },
          FilterPattern: pattern,
          MetricTransformations: [
            { MetricNamespace: lineNamespace, MetricName: `${fn}${name}`, MetricValue: '1', DefaultValue: 0 },
          ],
        },
      };
    }
    // A function that cannot start answers nothing itself (API Gateway answers 500): its one line is the alarm.
    resources[`${id}StartFailuresAlarm`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${folder}-${fn}-cannot-start`,
        AlarmDescription: `${fn} cannot start: a configuration error or SSM parameter, named in its "${START_FAILURE}" line (docs/operations.md, "Metrics and alarms")`,
        Namespace: lineNamespace,
        MetricName: `${fn}StartFailures`,
        Statistic: 'Sum',
        Period: PERIOD,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        ...actions,
      },
    };
    resources[`${id}ServerErrorsAlarm`] = mathAlarm(
      `${fn}-5xx`,
      `${fn} answered 5xx to at least ${limits.serverErrorsMin} requests and ${pct(limits.serverErrorsShare)} of them in 5 minutes`,
      [
        query('requests', 'Requests', fn),
        query('errors', 'ServerErrors', fn),
        expression(
          'trouble',
          `IF(errors >= ${limits.serverErrorsMin} AND errors / requests >= ${limits.serverErrorsShare}, 1, 0)`,
          `${fn} 5xx at least ${limits.serverErrorsMin} and ${pct(limits.serverErrorsShare)}`,
        ),
      ],
    );
  }

  if (webhooks.length > 0) {
    const ids = webhooks.map((_, i) => `failures${i}`);
    resources.ImchannelForwardFailuresAlarm = mathAlarm(
      'forward-failures',
      `Forwards to ctlive failed at least ${limits.forwardFailuresMin} times in 5 minutes (both webhooks)`,
      [
        ...webhooks.map((fn, i) => query(ids[i], 'ForwardFailures', fn)),
        expression('trouble', `IF(${sumOf(ids)} >= ${limits.forwardFailuresMin}, 1, 0)`, 'forward failures'),
      ],
    );
  }
  if (functions.includes('copyInboundMedia')) {
    resources.ImchannelInboundMediaFailuresAlarm = mathAlarm(
      'inbound-media-failures',
      `At least ${limits.inboundMediaFailuresMin} customers' files could not be copied in 5 minutes (expired, too large, wrong type, forged host)`,
      [
        query('failures', 'InboundMediaFailures', 'copyInboundMedia'),
        expression('trouble', `IF(FILL(failures, 0) >= ${limits.inboundMediaFailuresMin}, 1, 0)`, 'inbound media failures'),
      ],
    );
  }
  if (sends.length > 0) {
    const ids = sends.map((_, i) => `errors${i}`);
    resources.ImchannelInfobipErrorsAlarm = mathAlarm(
      'infobip-errors',
      `Infobip refused, rejected or did not answer at least ${limits.infobipErrorsMin} sends in 5 minutes (all send functions)`,
      [
        ...sends.map((fn, i) => query(ids[i], 'InfobipErrors', fn)),
        expression('trouble', `IF(${sumOf(ids)} >= ${limits.infobipErrorsMin}, 1, 0)`, 'Infobip errors'),
      ],
    );
  }
  if (functions.includes('onDeliveryReport')) {
    const period = 900;
    const failed = FAILED_GROUPS.map((_, i) => `failed${i}`);
    const report = (id, group) => query(id, 'DeliveryReports', 'onDeliveryReport', { statusGroup: group }, period);
    resources.ImchannelDeliveryFailuresAlarm = mathAlarm(
      'delivery-failures',
      `At least ${pct(limits.deliveryFailedShare)} of at least ${limits.deliveryFailedMinReports} final delivery reports in 15 minutes were ${FAILED_GROUPS.join(', ')}`,
      [
        report('delivered', 'DELIVERED'),
        ...FAILED_GROUPS.map((group, i) => report(failed[i], group)),
        { Id: 'failed', Expression: sumOf(failed), Label: 'failed reports', ReturnData: false },
        { Id: 'final', Expression: `failed + FILL(delivered, 0)`, Label: 'final reports', ReturnData: false },
        expression(
          'trouble',
          `IF(final >= ${limits.deliveryFailedMinReports} AND failed / final >= ${limits.deliveryFailedShare}, 1, 0)`,
          'failed delivery share',
        ),
      ],
    );
  }
  if (functions.includes('onMessage') && limits.inboundSilenceHours > 0) {
    const hours = limits.inboundSilenceHours;
    resources.ImchannelInboundSilenceAlarm = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${folder}-inbound-silence`,
        AlarmDescription: `No inbound message reached onMessage for ${hours} hours: Infobip silent, its webhook URL or credentials wrong (docs/operations.md, "Metrics and alarms")`,
        ...metric('ResultsReceived', 'onMessage'),
        Statistic: 'Sum',
        Period: 3600,
        EvaluationPeriods: hours,
        DatapointsToAlarm: hours,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        // No data is the silence itself.
        TreatMissingData: 'breaching',
        ...actions,
      },
    };
  }

  resources.ImchannelDashboard = dashboard({ folder, service, stage, functions, sends, webhooks, lineNamespace, resources });
  return resources;
};

/** One dashboard of the metrics above, and the alarms' states. */
function dashboard({ folder, service, stage, functions, sends, webhooks, lineNamespace, resources }) {
  const dims = (fn) => ['service', service, 'stage', stage, 'function', fn];
  const perFunction = (name, fns, stat = 'Sum') => fns.map((fn) => [NAMESPACE, name, ...dims(fn), { label: fn, stat }]);
  // A metrics row is an array, even when it holds only an expression.
  const search = (dimensions, name) => [
    [
      {
        expression: `SEARCH('{${NAMESPACE},${['service', 'stage', 'function', ...dimensions].join(',')}} MetricName="${name}" service="${service}" stage="${stage}"', 'Sum', ${PERIOD})`,
        id: 'e1',
        label: '',
      },
    ],
  ];
  const graph = (title, metrics, extra = {}) => ({
    type: 'metric',
    width: 12,
    height: 6,
    properties: { title, region: '${AWS::Region}', view: 'timeSeries', stat: 'Sum', period: PERIOD, metrics, ...extra },
  });
  const alarms = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
    .map(([id]) => `\${${id}.Arn}`);
  const widgets = [
    { type: 'alarm', width: 24, height: 4, properties: { title: 'Alarms', alarms } },
    graph('Requests per function', perFunction('Requests', functions)),
    graph('5xx answers per function', perFunction('ServerErrors', functions)),
    graph('4xx answers per function', perFunction('ClientErrors', functions)),
    graph(
      'ERROR lines per function',
      functions.map((fn) => [lineNamespace, `${fn}ErrorLines`, { label: fn }]),
    ),
    graph(
      'Inbound results',
      webhooks.flatMap((fn) =>
        ['ResultsReceived', 'Forwarded', 'Duplicates', 'ForwardFailures', 'NotForwarded'].map((name) => [
          NAMESPACE,
          name,
          ...dims(fn),
          { label: `${fn} ${name}` },
        ]),
      ),
    ),
    graph('Delivery reports by status group', search(['statusGroup'], 'DeliveryReports')),
    graph('Sends by outcome', search(['outcome'], 'Sends')),
    // Informational: under CONVERSATION_WINDOW_POLICY=warn these were sent, and WhatsApp will
    // likely not deliver them; a rising line means agents answer too late (use templates).
    graph('Free-form sends to a closed 24-hour window, by outcome', search(['outcome'], 'ClosedWindowSends')),
    graph('Infobip errors by status and code', search(['status', 'code'], 'InfobipErrors')),
    graph('Infobip call duration (p90)', perFunction('InfobipDuration', sends, 'p90')),
    graph('ctlive forward duration (p90)', perFunction('ForwardDuration', webhooks, 'p90')),
    graph('Media fetches by method and result', search(['method', 'result'], 'MediaFetches')),
    graph('File bytes sent (p90)', perFunction('MediaBytes', sends, 'p90')),
    graph(
      "Customers' files copied, their bytes, and failures",
      ['InboundMediaCopied', 'InboundMediaBytes', 'InboundMediaFailures'].map((name) => [
        NAMESPACE,
        name,
        ...dims('copyInboundMedia'),
        { label: name },
      ]),
    ),
    graph("Customers' files not copied, by reason", search(['reason'], 'InboundMediaFailuresByReason')),
    graph(
      'Oldest pending copy of a customer file (max wait, ms)',
      perFunction('InboundMediaCopyAge', ['copyInboundMedia'], 'Maximum'),
    ),
    graph(
      'WARN lines per function (mistakes of callers)',
      functions.map((fn) => [lineNamespace, `${fn}WarnLines`, { label: fn }]),
    ),
  ];
  return {
    Type: 'AWS::CloudWatch::Dashboard',
    Properties: { DashboardName: folder, DashboardBody: { 'Fn::Sub': JSON.stringify({ widgets }) } },
  };
}
