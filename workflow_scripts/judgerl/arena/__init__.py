"""Arena-Hard-V2 (Tables 1 and 6), compatible with arena-hard-auto's published method (read from
the code of lmarena/arena-hard-auto).

- Two games per question: game 1 shows the baseline as A and the model as B, game 2 the reverse.
  A verdict is one of [[A>>B]], [[A>B]], [[A=B]], [[B>A]], [[B>>A]]; the last label in the judge's
  output counts. A question with either game missing or unreadable is dropped (counted).
- Battle rows from the model's side: a win 1, a tie 0.5, a loss 0; a strong verdict counts
  `weight` (3) times.
- Without style control a model's score is the mean of its rows; its interval comes from 100
  bootstrap rounds that resample the model's own rows (5th / 95th percentiles: a 90% interval).
- With style control, a Bradley-Terry fit with four standardized style columns (length, headers,
  lists, bold) is refitted on 100 bootstrap samples of all rows of the category; the score is the
  median of sigma(beta_model - beta_baseline), the interval its 5th / 95th percentiles.
Scores are percentages, the baseline 50 by definition.

config       -- the config's `arena_hard` section resolved for the rules
fetch        -- arena-hard-auto's files: its dataset's questions and answers, its judge prompts
answers      -- questions and answer files in arena-hard-auto's layout; answering the questions
prompts      -- the judge's conversation: this workflow's wording or arena-hard-auto's own
games        -- the two games of a question before the judge, verdict labels, battle rows
scoring      -- style features, Bradley-Terry with style control, bootstrap scores per category
paper_tables -- the paper's tables of the scores and the note under them
"""
