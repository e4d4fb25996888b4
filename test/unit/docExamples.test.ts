import { codeBlocks, docJson, jsonValues, section, shapeProblems } from '../support/docExamples';

/** The checker behind the executable docs (test/e2e/docs.e2e.test.ts) must fail on a drift. */
describe('a doc example as a shape', () => {
  const shown = docJson(
    '{"messageId":"6920cb18-…","to":"39123456789","status":{"groupId":1,"groupName":"PENDING",…},"items":[{"a":1},…]}',
  );
  const real = {
    messageId: '1f0e7c36-9a3b-4b45-8a3a-0f5b0c3e2d11',
    to: '39123456789',
    status: { groupId: 1, groupName: 'PENDING', id: 7 },
    items: [{ a: 2 }, { a: 3 }],
  };

  it('accepts the real answer: cut ids, open objects and arrays, other numbers of the same kind', () => {
    expect(shapeProblems(shown, real)).toEqual([]);
  });

  it('names a key that went, a key that came where the doc shows all, a change of kind, another fixed value', () => {
    const { to: _to, ...withoutTo } = real;
    expect(shapeProblems(shown, withoutTo)).toEqual(['$.to: in the doc, not in the answer']);
    expect(shapeProblems(shown, { ...real, extra: true })).toEqual(['$.extra: in the answer, not in the doc']);
    expect(shapeProblems(shown, { ...real, status: 'PENDING' })).toEqual([
      '$.status: the doc shows an object, the answer has string',
    ]);
    expect(shapeProblems(shown, { ...real, status: { ...real.status, groupName: 'DELIVERED' } })).toEqual([
      '$.status.groupName: "DELIVERED" where the doc shows "PENDING"',
    ]);
    expect(shapeProblems(shown, { ...real, items: [{ b: 1 }] })).toEqual([
      '$.items[0].a: in the doc, not in the answer',
      '$.items[0].b: in the answer, not in the doc',
    ]);
  });

  it('compares addresses, UUIDs and times by form, on the stack the test runs', () => {
    const doc = docJson('{"u":"http://127.0.0.1:3000/x/3f3a95ab-432d-4281-a29e-e45e416017ae","t":"2026-12-02T17:05:00.000Z"}');
    const local = (text: string) => text.replace(':3000', ':4321');
    const ok = { u: 'http://127.0.0.1:4321/x/0b7d2c1e-2f4a-4c1b-9d3e-5a6b7c8d9e0f', t: '2027-01-01T00:00:00.000Z' };
    expect(shapeProblems(doc, ok, local)).toEqual([]);
    expect(shapeProblems(doc, { ...ok, u: 'http://127.0.0.1:3000/x/0b7d2c1e-2f4a-4c1b-9d3e-5a6b7c8d9e0f' }, local)).toHaveLength(
      1,
    );
    expect(shapeProblems(doc, { ...ok, t: 'tomorrow' }, local)).toHaveLength(1);
  });

  it('reads sections, code blocks and answers printed back to back', () => {
    const md = '## A\n### B\ntext\n```sh\necho 1\n```\n```json\n{"a":1}\n```\n### C\n```sh\nno\n```\n';
    expect(codeBlocks(section(md, 'B'), 'sh')).toEqual(['echo 1\n']);
    expect(codeBlocks(section(md, 'B'), 'json')).toEqual(['{"a":1}\n']);
    expect(jsonValues('{"a":"}"}{"b":[1]}')).toEqual([{ a: '}' }, { b: [1] }]);
  });
});
