"""The leaderboard: pure functions from result cards to tables (`table`), and a thin gradio app over them (`app`)."""
