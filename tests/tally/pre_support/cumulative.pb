META
key;value
description;Cumulative example
num_projects;3
num_votes;3
budget;1000
vote_type;cumulative
max_sum_points;10
PROJECTS
project_id;cost;votes;score;name
1;600;3;4;Lunch club
2;500;2;18;Community transport
3;300;1;8;Walking group
VOTES
voter_id;vote;points
1;2,1;9,1
2;2,1;9,1
3;3,1;8,2
