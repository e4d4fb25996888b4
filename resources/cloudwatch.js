'use strict';
// CloudWatch resources for every function of the service: saved Logs Insights queries
// (one per function tag, one for a message's story by messageId, one for errors), and a
// metric filter with an alarm on the function's ERROR lines. Built from `functions:`, so a
// new function gets them too. Log lines: docs/operations.md (lib/platform/log.ts).

const upperFirst = (name) => name.charAt(0).toUpperCase() + name.slice(1);
/** The framework's logical id of a function's log group (AWS::Logs::LogGroup). */
const logGroupId = (fn) => `${upperFirst(fn).replace(/[^A-Za-z0-9]/g, '')}LogGroup`;

module.exports = async ({ resolveConfigurationProperty, resolveVariable }) => {
  const functions = Object.keys((await resolveConfigurationProperty(['functions'])) ?? {});
  const stage = await resolveVariable('sls:stage');
  const service = await resolveVariable('self:service');
  const alarmTopicArn = String((await resolveVariable("param:alarmTopicArn, ''")) ?? '').trim();
  if (alarmTopicArn !== '' && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/.test(alarmTopicArn)) {
    const error = new Error(`Stage parameter "alarmTopicArn" must be an SNS topic ARN, got "${alarmTopicArn}"`);
    error.stack = error.message;
    throw error;
  }
  const folder = `${service}-${stage}`;
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
    const id = upperFirst(fn).replace(/[^A-Za-z0-9]/g, '');
    const logGroup = { Ref: logGroupId(fn) };
    resources[`${id}TagQuery`] = {
      Type: 'AWS::Logs::QueryDefinition',
      Properties: {
        Name: `${folder}/${fn}`,
        LogGroupNames: [logGroup],
        QueryString: [
          'fields @timestamp, level, message, messageId',
          `| filter @message like '[IMCHANNEL] [${fn}]'`,
          '| sort @timestamp desc',
          '| limit 200',
        ].join('\n'),
      },
    };
    resources[`${id}ErrorMetricFilter`] = {
      Type: 'AWS::Logs::MetricFilter',
      Properties: {
        LogGroupName: logGroup,
        FilterPattern: '{ $.level = "ERROR" }',
        MetricTransformations: [
          { MetricNamespace: `IMChannel/${stage}`, MetricName: `${fn}Errors`, MetricValue: '1', DefaultValue: 0 },
        ],
      },
    };
    resources[`${id}ErrorAlarm`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${folder}-${fn}-errors`,
        AlarmDescription: `ERROR lines logged by ${fn}; see the saved query ${folder}/errors`,
        Namespace: `IMChannel/${stage}`,
        MetricName: `${fn}Errors`,
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        ...(alarmTopicArn === '' ? {} : { AlarmActions: [alarmTopicArn], OKActions: [alarmTopicArn] }),
      },
    };
  }
  return resources;
};
